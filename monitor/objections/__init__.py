"""Objections on the record: `objections add` (a confirmation mail read, its hash kept) -> a record in the
store's objections chain; each objection's watched clauses as they read on its day and now, for `objections`,
the alert that names it and the digest's line per objection."""
