"""CLI: the only code that prints or exits.

main.py is the click entry point and the one error funnel (`MonitorError` -> one line and a named exit
code; anything else -> exit 70 with `--traceback` for the stack); commands/ holds the commands by topic.
"""
