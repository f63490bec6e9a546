# Two commands: `make run` and `make test`. Each sets up whatever this machine lacks first.
SHELL := /bin/bash
export DAGSTER_HOME ?= $(CURDIR)/var
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: setup setup-test run test lint bench clean

setup:                       ## system packages, Docker Engine, virtualenv, images, instance
	scripts/setup.sh

setup-test: setup            ## plus a running PostgreSQL server for the storage tests
	scripts/start_postgres.sh

run: setup                   ## start the service on the embedded SQLite instance, with example tasks
	$(VENV)/bin/bgtasks serve

test: setup-test             ## the whole suite, every tier
	$(PY) -m pytest

lint:
	$(VENV)/bin/ruff format --check bgtasks prebuilt_assets tests benchmarks
	$(VENV)/bin/ruff check bgtasks prebuilt_assets tests benchmarks
	$(VENV)/bin/mypy bgtasks prebuilt_assets
	scripts/build_native.sh --check

bench: setup
	$(PY) benchmarks/launch_overhead.py
	$(PY) benchmarks/registry_scale.py
	$(PY) benchmarks/parse_throughput.py

clean:
	rm -rf var .pytest_cache
