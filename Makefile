# Breaking Point: `make run` serves the site with its task worker; `make test` passes the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: install run test test-fast migrate content model-api bench mutants clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Python 3.12+ is needed (see .python-version); found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

content: migrate
	$(PY) manage.py load_content

run: content
	$(PY) -m quizsite.static_stamp
	PORT=$(PORT) $(PY) -m quizsite.supervise

# The whole suite in two parts: the unit tests on both cores at once (pytest-xdist), then the browser journeys
# and the real subprocess and load tests one at a time (they measure timings and share the lab lock files).
test: install
	$(PY) -m pytest -m "not e2e and not slow" -n 2
	$(PY) -m pytest -m "e2e or slow"

# The unit tests only: no browser, no subprocesses.
test-fast: install
	$(PY) -m pytest -m "not e2e and not slow"

# The sample model API on :8001, for following the load-testing tutorial by hand.
model-api: install
	$(PY) -m labs.model_api --host 127.0.0.1 --port 8001

# Benchmarks print ratios and percentiles; run them on a quiet machine. Not part of `make test`.
bench: install
	$(PY) bench/grading.py
	$(PY) bench/model_api.py
	$(PY) bench/model_api_delays.py
	$(PY) bench/lab_accuracy.py

# Mutation testing of the pure engines and the measurement code ([tool.mutmut] in pyproject.toml): would a
# test notice if this line were wrong? Slow (an hour or more on two cores); not part of `make test` or CI.
# Scope a run with MUTANTS, a mutant-name glob: make mutants MUTANTS='labs.telemetry.*'. Survivors:
# `.venv/bin/mutmut results`, and `.venv/bin/mutmut show NAME` for one mutant's diff.
MUTANTS ?=
mutants: install
	$(VENV)/bin/mutmut run $(MUTANTS)
	$(VENV)/bin/mutmut results

clean:
	rm -rf $(VENV) staticfiles .pytest_cache mutants
