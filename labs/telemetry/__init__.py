"""The telemetry plugin that runs inside the Locust subprocess (plugin.py) and its pure recorder.

Only Locust loads plugin.py (`locust -f scenario.py,labs/telemetry/plugin.py`). Importing this package
imports neither Locust nor gevent.
"""
