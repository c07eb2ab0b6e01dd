# `make run` serves the demo on http://127.0.0.1:8000; `make serve` runs the production server (gunicorn);
# `make test` runs the suite on SQLite and PostgreSQL.
VENV := .venv
PYTHON := $(VENV)/bin/python
# A key and an SQLite database for local use only; production sets SECRET_KEY and DATABASE_URL in its environment.
LOCAL_ENV := SECRET_KEY=$${SECRET_KEY:-local-development-only} DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/db.sqlite3}

.PHONY: venv static run serve test test-services test-sqlite test-postgres clean bench bench-memory bench-ui bench-writers bench-counts load

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The UI's and the API docs' assets under content-hashed names, in staticfiles/ (whitenoise serves them).
static: venv
	$(LOCAL_ENV) $(PYTHON) manage.py collectstatic --noinput --verbosity 0

run: venv static
	$(LOCAL_ENV) $(PYTHON) manage.py migrate --noinput
	$(LOCAL_ENV) $(PYTHON) manage.py demo_data
	@echo "== The UI: http://127.0.0.1:8000/ (the API: http://127.0.0.1:8000/job-executions/)"
	@# The stand-in agent feeds running executions' logs in the background until runserver exits.
	$(LOCAL_ENV) $(PYTHON) manage.py demo_agent & agent=$$!; trap 'kill $$agent 2>/dev/null' EXIT INT TERM; \
	$(LOCAL_ENV) $(PYTHON) manage.py runserver --nostatic 127.0.0.1:8000

# Production server: configure it with the environment variables in docs/operations.md.
serve: venv static
	$(VENV)/bin/gunicorn -c scale/gunicorn.conf.py scale.wsgi

test: lint test-sqlite test-postgres

# ruff (configured in pyproject.toml): lint, and the formatting `ruff format` gives.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# PostgreSQL and Redis binaries for the replication and shared-cache tests, which start their own servers.
test-services:
	scripts/install-test-services

test-sqlite: venv test-services static
	@echo "== Test suite on SQLite"
	env -u DATABASE_URL $(LOCAL_ENV) $(PYTHON) -m pytest

test-postgres: venv test-services static
	@echo "== Test suite on PostgreSQL"
	$(LOCAL_ENV) scripts/with-postgres $(PYTHON) -m pytest

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles screenshots

# `make bench` measures at 1,000,000 executions (about five minutes here); BENCH_ARGS="--executions 100000" for less.
bench: venv
	$(LOCAL_ENV) scripts/with-postgres $(PYTHON) bench/run.py --doc docs/performance.md $(BENCH_ARGS)

# The UI in headless Chromium: a 200,000-line running log and the list at 1,000,000 executions (docs/performance.md,
# "The UI"); BENCH_ARGS="--executions 100000" for less.
bench-ui: venv static test-services
	$(LOCAL_ENV) scripts/with-postgres $(PYTHON) bench/ui.py $(BENCH_ARGS)

# A gunicorn worker serving page_size=1000 a thousand times: its memory, printed as it goes.
bench-memory: venv
	$(LOCAL_ENV) scripts/with-postgres $(PYTHON) bench/memory.py $(BENCH_ARGS)

# Lists with their exact count at N executions (default 100,000), every combination of the group filters;
# BENCH_ARGS="--executions 10000000 --compare .run/counts-100000.json" for the other size (an hour here, mostly
# generating). See docs/performance.md, "Counts".
bench-counts: venv
	$(LOCAL_ENV) scripts/with-postgres $(PYTHON) bench/counts.py $(BENCH_ARGS)

# What the execution-counting triggers cost Scale's writers: 8 writer processes with and without them, alternating;
# BENCH_ARGS="--executions 100000 --seconds 5" for less. See docs/performance.md, "Counts".
bench-writers: venv
	$(LOCAL_ENV) scripts/with-postgres $(PYTHON) bench/writers.py $(BENCH_ARGS)

# 50 clients for 60 s on a mix of lists, details and logs at 1,000,000 executions, with wrk (installed if missing);
# LOAD_ARGS="--executions 100000 --seconds 20" for less. See docs/performance.md, "Load: 50 clients for 60 s".
load: venv
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk >/dev/null; } \
		|| { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
	$(LOCAL_ENV) scripts/with-postgres $(PYTHON) bench/load.py $(LOAD_ARGS)
