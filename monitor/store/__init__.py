"""Store: versions and checks, durable; nothing stored is ever lost or half-written.

Takes check records and texts; gives the timeline of each page (versions with their date ranges) and any
text or raw capture back by reference (`latest`, a date, an id prefix). core.py is the `Store`; texts and
captures are content-addressed compressed files (layout.py), checks fold into a timeline (timeline.py),
other stages keep their durable state through state.py, and verify.py re-hashes everything.
"""
