"""Watch: the clauses, terms and sections a person follows, evaluated on every new version.

Takes a page's old and new `Document` and their diff; gives `Alert`s (alerts.py) and updated baselines.
Each watch kind (base.py: what one is; clause.py, kinds.py: clause, term, section) is registered on
`monitor.registry.WATCH_KINDS`;
locate.py finds a clause fuzzily through reflow and rewrites; evaluate.py runs the watches of a page.
"""
