"""Import: a page's public history -> versions in its timeline (before its first live check).

Takes a SOURCE (a git repository of Open Terms Archive versions, read with `git` itself, or a folder of dated
`.md`, `.html` and `.txt` files) and gives `SourceVersion`s (sources.py), which `run.py` stores one transaction
each, through the same extraction, wall checks and timeline rules as a check, marked with their source.
"""
