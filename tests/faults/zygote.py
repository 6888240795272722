"""A pre-imported parent that forks real server processes on request (test-only).

Starting ``fieldkit station serve`` or the aggregator's gunicorn costs 2-3 s of Python
imports on the 2-core build machine; a crash loop of 1,000 kills would spend most of
its time importing. This process imports the servers' modules once and then, for each
request read from stdin (one JSON line: ``{"kind": "station"|"sync"|"aggregator", "args":
[...], "env": {...}, "log": path}``), forks a child that calls ``os.setsid()`` and runs
exactly what the command line would run (``fieldkit.cli.main(args)`` or gunicorn's
``wsgiapp.run()``). It answers the child's pid on stdout. The children are ordinary
server processes in their own process group: the harness kills them with
``os.killpg(pid, SIGKILL)``. Nothing has started a thread or opened a database before
the fork.
"""

from __future__ import annotations

import json
import os
import signal
import sys


def _preload() -> None:
    import fieldkit.cli  # noqa: F401
    import fieldkit.station.app  # noqa: F401
    import fieldkit.station.auth  # noqa: F401
    import fieldkit.station.commands  # noqa: F401
    import fieldkit.station.home  # noqa: F401
    import fieldkit.station.interview  # noqa: F401
    import fieldkit.station.selfadmin  # noqa: F401
    import fieldkit.station.syncing  # noqa: F401
    import fieldkit.journal  # noqa: F401
    import fieldkit.privacy  # noqa: F401
    import fieldkit.forms  # noqa: F401
    import gunicorn.app.base  # noqa: F401
    import gunicorn.app.wsgiapp  # noqa: F401
    import gunicorn.workers.gthread  # noqa: F401
    import aggregator.app  # noqa: F401
    import aggregator.client  # noqa: F401
    import aggregator.ingest  # noqa: F401
    try:
        import qrcode  # noqa: F401
    except ImportError:
        pass


def _child(request: dict) -> None:
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    log = os.open(request.get("log") or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                  0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.update(request.get("env") or {})
    import faulthandler   # `kill -SIGRTMIN+5 <pid>` writes every thread's stack to the log

    faulthandler.register(signal.SIGRTMIN + 5, all_threads=True, chain=False)
    if request.get("cwd"):
        os.chdir(request["cwd"])
    code = 0
    try:
        if request["kind"] == "aggregator":
            from gunicorn.app.wsgiapp import run

            sys.argv = ["gunicorn", *request["args"]]
            run()
        else:                        # the station server, or a `fieldkit sync` run
            from fieldkit.cli import main

            main(list(request["args"]), prog_name="fieldkit")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - show it in the log, then leave
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    _preload()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)    # children are reaped automatically
    out = sys.stdout
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        out.write(f"{pid}\n")
        out.flush()


if __name__ == "__main__":
    main()
