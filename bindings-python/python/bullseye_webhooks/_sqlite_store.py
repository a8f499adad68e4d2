"""The SQLite store: the worker processes of one host (`dedupe` re-exports it)."""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from typing import Any, Optional, Union

from . import _native
from ._claim import DEFAULT_LEASE, DEFAULT_RETENTION, Claim, Seconds, _millis, _seconds
from ._errors import StoreUnavailable

_DONE = "done"


class SQLiteStore:
    """A store in an SQLite file, shared by the worker processes of one host.

    WAL journal, each call one `BEGIN IMMEDIATE` transaction (claims are
    atomic across processes and threads), `timeout` seconds of waiting for
    the write lock (then `StoreUnavailable`). Times are the system clock
    (`time.time()`), shared by the processes. Expired rows are pruned now
    and then. Keep the file on a local disk: SQLite's locking is unreliable
    on network file systems.

    Each row keeps the body's hash (column `body_hash`, added to a table
    made before it; its old rows have none: an unknown hash, read as the
    same body). A call that fails rolls its transaction back, so no claim
    lands after its caller gave up: nothing to release late.
    """

    blocking = True

    def __init__(self, path: Union[str, os.PathLike[str]], *, timeout: float = 5.0, table: str = "bullseye_webhooks_deliveries") -> None:
        if not table.replace("_", "").isalnum():
            raise ValueError("table must be letters, digits and underscores")
        self.path = os.fspath(path)
        self.timeout = float(timeout)
        self.table = table
        self._local = threading.local()
        with self._transaction() as db:
            db.execute(
                f"CREATE TABLE IF NOT EXISTS {table} "
                "(key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at REAL NOT NULL, body_hash TEXT) WITHOUT ROWID"
            )
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if "body_hash" not in columns:
                db.execute(f"ALTER TABLE {table} ADD COLUMN body_hash TEXT")

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and process (a forked child opens its own).
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            db.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            local.db, local.pid = db, os.getpid()
        return local.db  # type: ignore[no-any-return]

    def _transaction(self) -> _Transaction:
        return _Transaction(self)

    def claim(self, key: str, body_hash: str, lease: Seconds = DEFAULT_LEASE) -> Claim:
        lease_s = _seconds(lease, "lease")
        token = _native.new_claim_token()
        with self._transaction() as db:
            now = time.time()
            row = db.execute(
                f"SELECT value, expires_at, body_hash FROM {self.table} WHERE key = ?", (key,)
            ).fetchone()
            if row is not None and row[1] > now:
                done = row[0] == _DONE
                # No stored hash (a row of the format before it) or none given: the same body.
                if row[2] and body_hash and row[2] != body_hash:
                    return Claim("conflict", stored_hash=row[2], found="done" if done else "in_flight")
                if done:
                    return Claim("duplicate")
                return Claim("in_flight", retry_after=_native.retry_after_secs(_millis(row[1] - now)))
            db.execute(
                f"INSERT OR REPLACE INTO {self.table} (key, value, expires_at, body_hash) VALUES (?, ?, ?, ?)",
                (key, "w:" + token, now + lease_s, body_hash),
            )
            if random.random() < 1 / 512:
                db.execute(f"DELETE FROM {self.table} WHERE expires_at <= ?", (now,))
        return Claim("new", token=token)

    def complete(self, key: str, token: str, body_hash: str, retention: Seconds = DEFAULT_RETENTION) -> str:
        """Mark `key` done: "done", "lease_expired" (free, marked done) or "not_held" (left alone)."""
        retention_s = _seconds(retention, "retention")
        with self._transaction() as db:
            now = time.time()
            row = db.execute(f"SELECT value, expires_at FROM {self.table} WHERE key = ?", (key,)).fetchone()
            live = row is not None and row[1] > now
            if live and row[0] != "w:" + token:
                return "not_held"
            db.execute(
                f"INSERT OR REPLACE INTO {self.table} (key, value, expires_at, body_hash) VALUES (?, ?, ?, ?)",
                (key, _DONE, now + retention_s, body_hash),
            )
        return "done" if live else "lease_expired"

    def release(self, key: str, token: str) -> bool:
        """Delete `token`'s claim of `key`; True when it held it (live)."""
        with self._transaction() as db:
            cursor = db.execute(
                f"DELETE FROM {self.table} WHERE key = ? AND value = ? AND expires_at > ?",
                (key, "w:" + token, time.time()),
            )
            return cursor.rowcount == 1


class _Transaction:
    """`BEGIN IMMEDIATE` ... `COMMIT` (or `ROLLBACK`); sqlite3 errors become
    `StoreUnavailable`."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self.db: Optional[sqlite3.Connection] = None

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.db = self.store._connection()
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StoreUnavailable(f"store_unavailable: SQLite ({self.store.path}): {error}") from error
        return self.db

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        assert self.db is not None
        try:
            self.db.execute("ROLLBACK" if kind is not None else "COMMIT")
        except sqlite3.Error as failure:
            if kind is None:
                raise StoreUnavailable(f"store_unavailable: SQLite ({self.store.path}): {failure}") from failure
        if kind is not None and issubclass(kind, sqlite3.Error):
            raise StoreUnavailable(f"store_unavailable: SQLite ({self.store.path}): {error}") from error
