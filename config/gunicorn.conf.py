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
# At most one connection per thread: a worker whose threads are all held (uploads stalled mid-body by
# failing mobile links) stops accepting, and the other workers take the new connections. Without it,
# a worker keeps accepting and queues requests behind its held threads, where they wait forever. (It
# leaves no room for idle kept-alive connections: each request has its own, which phones syncing every
# few minutes, and a front server, do not mind.)
worker_connections = threads
timeout = 120
# Load the app once, before forking the workers (config/wsgi.py loads every view): a worker answers its
# first request as fast as its next ones, and the workers share the loaded code's memory.
preload_app = True
# No control socket: it would be one path ($HOME/.gunicorn/gunicorn.ctl) for every gunicorn of the user
# (the demo, benchmarks and tests on one machine), and nothing here uses gunicornc.
control_socket_disable = True
