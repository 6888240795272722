"""SQLite through sqlite-utils: one way to open a database, one way to migrate it.

Every database fieldkit writes is opened here: WAL journal, ``synchronous=FULL``
(a sealed submission that was acknowledged to the enumerator survives power loss),
foreign keys on. Schema changes are numbered steps recorded in ``schema_migrations``
so that a station upgraded in the field migrates its own file at start.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable, Sequence

import sqlite_utils

Step = Callable[[sqlite_utils.Database], None]


def open_db(path: str | Path) -> sqlite_utils.Database:
    """Open (creating if needed) a SQLite database with fieldkit's pragmas."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None,
                           timeout=30)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=30000")
    # Freed pages are zeroed, so deleted rows leave no readable remains in the file.
    db.execute("PRAGMA secure_delete=ON")
    return db


def migrate(db: sqlite_utils.Database, component: str, steps: Sequence[Step]) -> int:
    """Apply the steps of ``component`` that this database has not seen yet.

    Steps are applied in order, each in its own transaction with its bookkeeping
    row, so a crash mid-migration leaves the database at a clean step boundary.
    Returns the number of steps applied.
    """
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " component TEXT NOT NULL, step INTEGER NOT NULL,"
        " PRIMARY KEY (component, step))"
    )
    done = {row[0] for row in db.execute(
        "SELECT step FROM schema_migrations WHERE component = ?", [component]).fetchall()}
    applied = 0
    for number, step in enumerate(steps, start=1):
        if number in done:
            continue
        with db.conn:  # one transaction: the step and its record
            db.execute("BEGIN IMMEDIATE")
            step(db)
            db.execute("INSERT INTO schema_migrations (component, step) VALUES (?, ?)",
                       [component, number])
        applied += 1
    return applied
