#!/usr/bin/env bash
# Serves gridgov the way production does: gunicorn (gthread) plus the background task worker.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT="${PORT:-8000}"
.venv/bin/gridgov schedule_periodic
.venv/bin/gridgov db_worker --queue-name '*' &
worker=$!
trap 'kill "$worker" 2>/dev/null || true; wait "$worker" 2>/dev/null || true' EXIT INT TERM
.venv/bin/gridgov demo_banner --port "$PORT"
.venv/bin/gunicorn config.wsgi:application \
    --bind "127.0.0.1:${PORT}" --workers 2 --worker-class gthread --threads 4 \
    --access-logfile - --graceful-timeout 5
