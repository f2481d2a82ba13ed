"""Service: the background loop that checks pages on their schedule and sends the daily digest.

Takes the config, the store and a clock; gives checks run when due and digests sent once per period.
triggers.py parses schedules (for config validation too), schedule.py holds the pure decisions (when is a page due, which digest period is due, the per-host gate),
runner.py runs them under APScheduler until SIGTERM, status.py says per page how it is doing.
"""
