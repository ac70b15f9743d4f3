#!/usr/bin/env bash
# Set up, then run the linters, the type checker and the whole test suite.
# Set TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test to run every database test on
# PostgreSQL as well as SQLite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
echo "== ruff";  .venv/bin/ruff check .
.venv/bin/ruff format --check --quiet .
echo "== mypy";  .venv/bin/mypy
echo "== pytest"
exec .venv/bin/pytest "$@"
