#!/usr/bin/env bash
# Set up, create or upgrade the embedded SQLite database, load the demo data, and serve.
# Environment: DATABASE_URL (default: SQLite file instance/mediation.sqlite3), HOST, PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
.venv/bin/mediation init-db
.venv/bin/mediation seed-demo
.venv/bin/mediation verify-audit
echo "serving on http://${HOST:-127.0.0.1}:${PORT:-5000}/  (Ctrl-C stops)"
exec .venv/bin/mediation serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}"
