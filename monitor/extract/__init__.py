"""Extract: HTML (or Open Terms Archive Markdown) to the normalized text a person reads, and whether it is the document.

Takes HTML and the page's region rules; gives an `Extraction` (document.py) whose `Document` is a list of
blocks (html_blocks.py, markdown_blocks.py; furniture dropped by boilerplate.py; text folded by
normalize.py). walls.py decides whether a capture is the document at all (login, consent and error walls,
JavaScript shells, collapsed captures): a capture that is not never becomes a version.
"""
