"""Diff: two Documents to what changed, where, how and whether it matters; and that change shown.

Takes an old and a new `Document`; gives a `DocumentDiff` (core.py) of `Change`s: blocks aligned and
paired (align.py), words diffed and classified cosmetic or substantive (classify.py), signal words marked
(signals.py), the section tree compared (structure.py). formats.py renders it as text, unified, markdown,
html or json (render.py, render_text.py, render_html.py); segments.py is the one word-diff model that every
reader-facing output (diff, alert, digest, feed) marks up.
"""
