"""Group commit: write jobs that queue for the database share one transaction.

Every sync request ends in a ``synchronous=FULL`` commit, i.e. an fsync of the WAL:
a few milliseconds of the write lock per request, whatever the request's size. When
several requests of one process are waiting for the lock at the same time (gunicorn
threads; stations syncing at once), the first to get it takes every job queued so far
and writes them all in one transaction, with one commit: the classic group commit of
databases. A lone request is a group of one and behaves exactly as before.

Each job still succeeds or fails on its own: the writer runs it inside a SAVEPOINT, and
a job that raises is rolled back to it (its caller gets the exception) while the
others go on. If the commit itself fails, every job of the group gets that error and
nothing of the group is stored. A job's caller returns only once its group committed
(or failed), so an acknowledgement always means "on disk".

Flask-free; one ``GroupCommit`` per process and database (``aggregator.db.process_local``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from aggregator.db import transaction


@dataclass(eq=False)
class Job:
    """A unit of work; subclass it with the job's inputs and outputs."""
    error: BaseException | None = field(default=None, init=False)
    done: threading.Event = field(default_factory=threading.Event, init=False)


class GroupCommit:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[Job] = []
        self.groups = 0            # transactions committed (a test reads it)

    def run(self, db: Any, job: Job, write: Callable[[Any, Sequence[Job]], None]) -> None:
        """Queue ``job`` and return once it is committed; raise its error if it failed.

        ``write(db, jobs)`` is called inside the transaction with the jobs of the group
        (this one among them, unless another thread's group already took it); it must
        set ``job.error`` for a job it rolled back and not raise for it.
        """
        with self._lock:
            self._queue.append(job)
        taken: list[Job] = []
        try:
            with transaction(db):
                with self._lock:
                    taken, self._queue = self._queue, []
                if taken:
                    write(db, taken)
                    self.groups += 1
        except BaseException as err:
            with self._lock:
                waiting = [one for one in self._queue if one is not job]
                if len(waiting) < len(self._queue):    # never taken: no transaction began
                    self._queue = waiting
                    taken.append(job)
            for one in taken:
                if one.error is None:
                    one.error = err
        finally:
            for one in taken:
                one.done.set()
        job.done.wait()
        if job.error is not None:
            raise job.error
