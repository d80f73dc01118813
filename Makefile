# The commands of README.md: `make run` (set up, then regenerate everything), `make test` (lint and every test;
# what CI runs) and `make test-fast` (no test that runs Snakemake or regenerates a reference in R; under a minute).
SHELL := /bin/bash
VENV := .venv/bin
CORES ?= 4

.PHONY: setup run test test-fast lint clean

.venv/.setup-done: requirements.txt constraints.txt scripts/setup.sh pyproject.toml package-lock.json
	bash scripts/setup.sh

setup: .venv/.setup-done

run: setup
	$(VENV)/snakemake --cores $(CORES)

lint: setup
	$(VENV)/ruff check src tests workflow/scripts
	$(VENV)/snakefmt --check Snakefile workflow/rules
	$(VENV)/snakemake --lint

test: setup lint
	$(VENV)/python -m pytest

test-fast: setup
	$(VENV)/python -m pytest -m "not workflow and not live_r" --hypothesis-profile=fast -n auto

clean:
	rm -rf results data/processed logs benchmarks .snakemake
