"""Pipeline: one check of one page, start to end.

Takes a page and a context (config, store, clock); gives a `CheckResult`: fetch -> extract -> classify ->
store -> diff against the last good version -> watches -> outbox -> notify (check.py). `capture_now` is the
same without storing, for `test`, `add` and `diff ... live`.
"""
