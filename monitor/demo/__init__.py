"""Demo: recorded Meta-like pages served on loopback and checked day by day (`privacy-monitor demo`).

scenario.py holds the days and runs them through the real pipeline; pages/ holds the recorded HTML.
"""
