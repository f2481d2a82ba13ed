"""Store: versions and checks, durable; nothing stored is ever lost or half-written.

Takes check records and texts; gives the timeline of each page (versions with their date ranges) and any
text or raw capture back by reference (`latest`, a date, an id prefix). core.py is the `Store`, made of named
parts that each own their SQL (`store.versions`, `store.checks`, `store.blobs`, `store.imported`,
`store.state`, `store.baselines`, `store.outbox`, `store.ledger`, `store.objections`, `store.timestamps`)
over one folder and its database (area.py, db.py, schema.py): texts and captures are content-addressed gzip
files (layout.py, blobs.py), rows are read back validated (records.py); timeline.py resolves references,
migrate.py brings an older JSON Lines store in once, verify.py checks everything.
"""
