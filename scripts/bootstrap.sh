#!/usr/bin/env bash
# Installs what Irbis needs on Debian 12 (system packages, .venv) and starts the project-local
# PostGIS and Redis unless DATABASE_URL / CELERY_BROKER_URL point elsewhere. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

need_pkgs=()
[ -f /usr/share/postgresql/15/extension/postgis.control ] || need_pkgs+=(postgresql-15 postgresql-15-postgis-3)
command -v gdalinfo >/dev/null 2>&1 || need_pkgs+=(gdal-bin)
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
command -v msgfmt >/dev/null 2>&1 || need_pkgs+=(gettext)
[ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
# DejaVu fonts: Cyrillic text embedded in PDFs (evidence bundles, reports)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_pkgs+=(fonts-dejavu-core)
command -v make >/dev/null 2>&1 || need_pkgs+=(make)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
python3.11 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_pkgs+=(python3-venv)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "bootstrap: installing Debian packages: ${need_pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

PY=${PYTHON:-python3.11}
if [ ! -x .venv/bin/python ]; then
  echo "bootstrap: creating .venv"
  "$PY" -m venv .venv
fi
# requirements.txt is what production runs; `make test` and `make quality` ask for requirements-dev.txt
# (it includes requirements.txt) through IRBIS_REQUIREMENTS.
reqs=${IRBIS_REQUIREMENTS:-requirements.txt}
stamp=".venv/.$(basename "$reqs").sha"
want=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing $reqs"
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -r "$reqs"
  echo "$want" > "$stamp"
fi

"$ROOT/scripts/services.sh" start
.venv/bin/python manage.py compilemessages -v 0 --ignore=.venv >/dev/null
# The route planner's searches are compiled (numba) the first time they run, about 3 s: do it here,
# so the first plan a user asks for does not wait (later processes load the cache in 0.3 s).
.venv/bin/python -c 'from patrol.routing.insertion import warm_up; warm_up()'
