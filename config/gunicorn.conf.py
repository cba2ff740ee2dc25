"""gunicorn's settings for production: `gunicorn config.wsgi -c config/gunicorn.conf.py`.

Threaded workers (gthread), one process per core and a few threads each: requests mostly wait on
PostgreSQL and Redis, so threads keep the cores busy without a process per request. The time-out
leaves a 1 000-row purchase batch (well under a second) and the admin's CSV imports ample room,
while a stuck request is still ended; workers are recycled now and then so no leak grows.
Every value can be changed from the environment (see the README's configuration table).
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count())
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 5000)
max_requests_jitter = max_requests // 10
# Behind a TLS proxy on the same host: trust its X-Forwarded-Proto (see SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
