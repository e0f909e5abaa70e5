"""gunicorn, the app server: `gunicorn -c cms/deploy/gunicorn.conf.py cms.wsgi`.

Environment (deployment only; Django's settings read theirs in cms/settings/):
GUNICORN_BIND (default 127.0.0.1:8000), GUNICORN_WORKERS (2 x cores + 1),
GUNICORN_THREADS (4 per worker).

Only nginx may reach gunicorn: with TRUSTED_PROXY_COUNT=1 (production) the app takes the
client's address from X-Forwarded-For, which a direct client writes itself, and nginx's
sign-in throttling and cache would be skipped. Bind to loopback (the default) or a private
address that only nginx can reach.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Threads let a worker overlap requests that wait on PostgreSQL, Redis or S3.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Imports of large bundles take a while; anything slower than this is stuck.
timeout = 120
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, staggered, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# nginx on the same machine sets X-Forwarded-Proto/For; trust it only from loopback.
forwarded_allow_ips = "127.0.0.1"
accesslog = "-"
errorlog = "-"
