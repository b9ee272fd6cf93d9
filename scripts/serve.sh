#!/usr/bin/env bash
# Starts a Celery worker and the web server (gunicorn) in the background, waits until /healthz
# answers, and prints where to go and how to log in. `make stop` stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
HOST=${1:-127.0.0.1}
PORT=${2:-8000}
mkdir -p var/run var/log
# The demo runs like production: no debug pages, the app's own error pages (DJANGO_DEBUG=true to debug).
export DJANGO_DEBUG=${DJANGO_DEBUG:-false}

running() { [ -f "var/run/$1.pid" ] && kill -0 "$(cat "var/run/$1.pid")" 2>/dev/null; }

.venv/bin/python manage.py collectstatic --noinput -v 0

if running worker; then
  echo "serve: Celery worker already running"
else
  # -B: the worker also runs the beat scheduler (the nightly risk recompute); one machine needs no more.
  # keep-alive.sh starts it again if it dies; each task's memory is capped (IRBIS_WORKER_MAX_MEMORY_MB).
  nohup ./scripts/keep-alive.sh .venv/bin/celery -A config worker -B --schedule var/run/celerybeat-schedule \
    --loglevel=INFO --concurrency=2 >var/log/worker.log 2>&1 &
  echo $! > var/run/worker.pid
  echo "serve: Celery worker with beat started, restarted if it dies (log: var/log/worker.log)"
fi

if running web; then
  echo "serve: web server already running"
else
  # Workers, threads and timeouts in config/gunicorn.conf.py (the fault tests serve the app with it too).
  nohup .venv/bin/gunicorn config.wsgi:application -c config/gunicorn.conf.py --bind "$HOST:$PORT" \
    --access-logfile var/log/web-access.log >var/log/web.log 2>&1 &
  echo $! > var/run/web.pid
fi

for _ in $(seq 60); do
  if curl -fsS "http://$HOST:$PORT/healthz" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
if ! curl -fsS "http://$HOST:$PORT/healthz"; then
  echo "serve: the web server did not become healthy; see var/log/web.log" >&2
  exit 1
fi
echo
.venv/bin/python manage.py seed_demo --if-empty | tail -n 1
cat <<TXT

Irbis is running at http://$HOST:$PORT/  (admin: /admin/, API: /api/v1/, API docs: /api/v1/docs/)
Stop it with: make stop
TXT
