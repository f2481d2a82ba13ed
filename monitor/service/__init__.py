"""Service: the background loop that checks pages on their schedule and sends the daily digest.

Takes the config, the store and a clock; gives checks run when due and digests sent once per period.
runner.py holds the Service (its decisions and actions, and `tick` for tests), scheduling.py runs them as
APScheduler jobs until SIGTERM, retry_after.py keeps the pages whose server asked to wait, lifecycle.py the
service's own life (its lock, clock steps, winding down). Schedules are parsed in monitor/config/triggers.py
and timed in monitor/config/timing.py; how each page is doing is monitor/store/health.py.
"""
