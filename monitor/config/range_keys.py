"""The keys of a range rule (`{ start_before | start_after = CSS, end_before | end_after = CSS }`), apart from the
config's models so that extraction, which reads ranges, does not import pydantic (a `diff a.html b.html` process
never loads a config)."""

START_KEYS = ("start_before", "start_after")
END_KEYS = ("end_before", "end_after")
