"""The web server's settings (gunicorn), used by scripts/serve.sh and by the fault tests that serve the
app for real (tests/faults/). Command-line options (--bind, --workers) override these.

Threads (gthread), so that a phone uploading slowly over a failing link holds one thread, not a whole
worker process; in production a buffering front server (nginx, proxy_request_buffering on) should
receive bodies before they reach gunicorn at all (docs/deploy.md).
"""

import os

worker_class = "gthread"
workers = int(os.environ.get("IRBIS_WEB_WORKERS", "3"))
threads = int(os.environ.get("IRBIS_WEB_THREADS", "16"))
timeout = 120
