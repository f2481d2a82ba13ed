"""Store: versions and checks, durable; nothing stored is ever lost or half-written.

Takes check records and texts; gives the timeline of each page (versions with their date ranges) and any
text or raw capture back by reference (`latest`, a date, an id prefix). core.py is the `Store`: texts and
captures are content-addressed gzip files (layout.py), metadata lives in one SQLite database (db.py) read
through indexed, validated queries (records.py); timeline.py resolves references, state.py keeps other
stages' durable state, migrate.py brings an older JSON Lines store in once, verify.py checks everything.
"""
