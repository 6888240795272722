"""gunicorn settings for the aggregator (``gunicorn -c sync/aggregator/gunicorn.conf.py``).

Sized for the target machine: 2 cores, one SQLite file.

* ``workers = 2``: one process per core. SQLite allows one writer at a time; each
  sync batch is one short transaction (~10-30 ms for 100 items), so two workers
  keep both cores busy (one validating JSON/headers while the other commits) without
  queueing on the write lock. More workers only add lock waits and memory.
* ``worker_class = "gthread"``, ``threads = 4``: a station on a slow mobile link
  takes seconds to upload a batch; threads let a worker read other requests
  meanwhile (with a buffering reverse proxy in front, ``sync`` workers would do).
  Each thread has its own SQLite connection (``aggregator.app.db_getter``).
* ``preload_app = True``: the app (and its schema migration) is built once in the
  master before forking, so two workers never race to migrate the database.
* ``timeout = 60``: a batch never takes this long; a worker stuck longer is killed and
  its transaction rolls back (the station resends; duplicates count once).
* ``limit_request_*``: small headers only; bodies are limited by the app itself
  (MAX_BODY_BYTES, with a JSON error).
* ``post_fork``: a 0.5 ms GIL switch interval (Python's default is 5 ms). A sync
  request holding the database's write lock gives up the GIL at every SQLite call and
  must get it back from threads busy validating other requests; with 5 ms turns the
  lock was held much longer than its work (+6-8% ingest throughput measured).
* ``post_worker_init``: each worker builds its in-memory near-duplicate index
  (``aggregator.memory_index``) before it serves, not during its first sync: a few
  seconds at a million stored submissions.
* Bind to loopback; in the field put a TLS reverse proxy (nginx/caddy) in front and
  set ``forwarded_allow_ips`` to it.

Environment: ``FIELDKIT_AGGREGATOR_DB`` (SQLite path), ``FIELDKIT_AGGREGATOR_BIND``,
``FIELDKIT_AGGREGATOR_WORKERS``, optional ``FIELDKIT_AGGREGATOR_SECRET_KEY`` /
``_PUBLIC_URL`` / ``_MAX_BODY_BYTES`` (see ``aggregator.app``).
"""

import os

wsgi_app = "aggregator.app:create_app_from_env()"
bind = [os.environ.get("FIELDKIT_AGGREGATOR_BIND", "127.0.0.1:8400")]
workers = int(os.environ.get("FIELDKIT_AGGREGATOR_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("FIELDKIT_AGGREGATOR_THREADS", "4"))
preload_app = True
timeout = 60
graceful_timeout = 20
keepalive = 5
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
forwarded_allow_ips = "127.0.0.1"
accesslog = None          # the reverse proxy logs requests; nothing sensitive in URLs anyway
errorlog = "-"
loglevel = "warning"


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    import sys

    sys.setswitchinterval(0.0005)


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    from aggregator.memory_index import for_database

    get_db = worker.wsgi.config.get("GET_DB")
    if get_db is not None:
        db = get_db()
        for_database(db).catch_up(db)
