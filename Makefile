# The two commands of README.md: `make run` (set up, then regenerate everything) and `make test`.
SHELL := /bin/bash
VENV := .venv/bin
CORES ?= 4

.PHONY: setup run test lint clean

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

clean:
	rm -rf results data/processed logs benchmarks .snakemake
