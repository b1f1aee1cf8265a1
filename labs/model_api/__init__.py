"""Breaking Point's sample model API: FastAPI + numpy, shaped by knobs for load-testing lessons.

Run it with `python -m labs.model_api --port 8001 [knobs]`; see README.md in this folder. This package
imports nothing from Django or the site, and importing it stays cheap: the app lives in `.app`.
"""
