"""The static report site: the store as HTML pages a person reads in a browser, no server and no scripts.

`model.py` gathers each page's timeline, checks and changes from the store; `links.py` names every file and
builds the one URL of a change page that mails use; `timeline_svg.py` draws the timeline; `render.py` turns the
model into pages through the one Jinja environment (templates in `report/templates/`, autoescaped); `build.py`
writes the site atomically and incrementally (a manifest says which files are current).
"""
