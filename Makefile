# Irbis: `make demo` serves the app with a demo reserve; `make test` runs the whole suite.
SHELL := /bin/bash
PY := .venv/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings.dev

.PHONY: setup dev-setup demo test stop lint quality bench services

setup:
	./scripts/bootstrap.sh
	$(PY) manage.py migrate --noinput -v 0

demo: setup
	$(PY) manage.py seed_demo --if-empty >/dev/null
	./scripts/serve.sh $(HOST) $(PORT)

dev-setup:
	IRBIS_REQUIREMENTS=requirements-dev.txt ./scripts/bootstrap.sh

test: dev-setup
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest --create-db $(PYTEST_ARGS)

stop:
	./scripts/services.sh stop

lint: dev-setup
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

quality: lint
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

bench:
	./scripts/bootstrap.sh
	.venv/bin/pip install -q -r requirements-bench.txt
	$(PY) benchmarks/run_all.py
