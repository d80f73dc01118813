#!/usr/bin/env bash
# Set up everything the project needs on a fresh Debian machine with Python 3.11, pip and root:
# the Python virtual environment with pinned packages, R + metafor for the oracle tests, Chromium and node_modules
# for the report's browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: R + metafor (oracle tests) and Chromium (the report is tested as a reader opens it).
need=()
if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(metafor); library(metadat)' >/dev/null 2>&1; then
  need+=(r-base-core r-cran-metafor r-cran-metadat)
fi
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v npm >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "note: cannot install ${need[*]} (needs root and apt-get); tests needing them are skipped" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt -c constraints.txt
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
# axe-core (the report's accessibility test) and DataTables (vendored in src/ketamine_ma/outputs/static/, checked
# against this copy), pinned in package.json and package-lock.json; the pipeline itself needs no node.
if command -v npm >/dev/null 2>&1; then
  npm ci --no-audit --no-fund --loglevel=error
else
  echo "note: cannot install node_modules (needs npm); the report's axe-core test is skipped" >&2
fi
touch .venv/.setup-done
