"""Loads what a web or worker process loads at start and prints, as JSON, which heavy modules came with it.

Run as a script in a fresh interpreter (tests/test_startup.py does): `python tests/startup_probe.py web|worker|help`.
For each heavy module the first chain of project modules that imported it is reported, so a failure
says which import to make lazy.
"""

import builtins
import json
import os
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

# The numerical and document stack that only tasks need (numpy itself comes with django.contrib.gis).
HEAVY = ("scipy", "numba", "networkx", "shapely", "PIL", "gpxpy", "reportlab", "sklearn", "pandas", "matplotlib")
chains: dict[str, list[str]] = {}
_import = builtins.__import__


def _recording_import(name, globals=None, locals=None, fromlist=(), level=0):  # noqa: A002 - __import__'s signature
    top = name.split(".")[0]
    if level == 0 and top in HEAVY and top not in sys.modules and top not in chains:
        ours = (f for f in traceback.extract_stack()[:-1] if f.filename.startswith(str(REPO)))
        frames = [f for f in ours if "site-packages" not in f.filename and f.filename != __file__]
        chains[top] = [f"{Path(f.filename).relative_to(REPO)}:{f.lineno}" for f in reversed(frames)]
    return _import(name, globals, locals, fromlist, level)


def load(what: str) -> None:
    if what == "web":
        from django.contrib import admin
        from django.core.wsgi import get_wsgi_application
        from django.urls import get_resolver

        get_wsgi_application()
        get_resolver().url_patterns  # noqa: B018 - imports every view module
        admin.autodiscover()
    elif what == "worker":
        import django

        from config.celery import app

        django.setup()
        app.loader.import_default_modules()  # the tasks modules, as `celery worker` imports them
        app.autodiscover_tasks(force=True)
    elif what == "help":
        import contextlib
        import io

        from django.core.management import execute_from_command_line

        with contextlib.redirect_stdout(io.StringIO()):
            execute_from_command_line(["manage.py", "help"])
    else:
        raise SystemExit(f"unknown: {what}")


if __name__ == "__main__":
    builtins.__import__ = _recording_import
    started = time.perf_counter()
    load(sys.argv[1])
    print(json.dumps({"seconds": time.perf_counter() - started, "heavy": chains}))
