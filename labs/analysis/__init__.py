"""The analysis of a finished lab run (pure: no Django, no Locust).

`diagnose()` (diagnosis.py) turns a run's samples, results and config into results["diagnosis"];
histogram.py is the compact per-second latency histogram the telemetry plugin writes and steps merge.
"""

from labs.analysis.diagnosis import BOTTLENECKS, CHECK_IDS, VERSION, diagnose

__all__ = ["BOTTLENECKS", "CHECK_IDS", "VERSION", "diagnose"]
