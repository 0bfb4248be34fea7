"""The change feed: which records (datasets, series, services) were added, changed or removed, in order.

Digital twins and peer catalogs follow `/changes?since=N` instead of re-reading whole catalogs.
Each source's records are digested (see harvest/records.py: blank-node labels do not count), and
the feed keeps the digests it last saw per source; catching up with a new source version is a
diff of two digest sets, written as numbered changes in the operational database in one SQLite
transaction. Harvests hand over the digests they computed page by page; loads, updates,
rollbacks and deletes are caught up from the stored graphs, right after they commit in the
server and at the latest when the feed is read.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .errors import BadInput
from .harvest.records import diff, graph_digests

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feed_state (source TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS feed_records (
  source TEXT NOT NULL, record TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (source, record));
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, source TEXT NOT NULL, version INTEGER,
  record TEXT NOT NULL, change TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS changes_at ON changes (at);
"""
MAX_PAGE = 10_000


@dataclass
class Change:
    seq: int
    at: str
    source: str
    version: int | None
    record: str
    change: str
    """added, changed or removed"""

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at, "source": self.source, "version": self.version,
                "record": self.record, "change": self.change}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ChangeFeed:
    def __init__(self, store: Any, ops: Any) -> None:
        self.store = store
        self.ops = ops
        self._lock = threading.Lock()
        self.db().executescript(_SCHEMA)

    def db(self) -> sqlite3.Connection:
        return self.ops._conn()

    def known(self, source: str) -> dict[str, str]:
        rows = self.db().execute("SELECT record, digest FROM feed_records WHERE source=?", (source,))
        return {r["record"]: r["digest"] for r in rows}

    def recorded_version(self, source: str) -> int | None:
        row = self.db().execute("SELECT version FROM feed_state WHERE source=?", (source,)).fetchone()
        return int(row["version"]) if row else None

    def record_version(self, source: str, version: int | None,
                       digests: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
        """Write the changes from what the feed last saw of `source` to `digests` (version None: deleted)."""
        with self._lock:
            at = _now()
            c = self.db()
            # Read what the feed knows inside the write transaction: API processes sharing a remote
            # store all follow its writes, and the second one must find the first one's records.
            c.execute("BEGIN IMMEDIATE")
            try:
                added, changed, removed = diff(self.known(source), digests)
                rows = [(at, source, version, r, kind) for kind, items in
                        (("added", added), ("changed", changed), ("removed", removed)) for r in items]
                c.executemany("INSERT INTO changes (at, source, version, record, change) VALUES (?,?,?,?,?)", rows)
                c.execute("DELETE FROM feed_records WHERE source=?", (source,))
                if version is None:
                    c.execute("DELETE FROM feed_state WHERE source=?", (source,))
                else:
                    c.executemany("INSERT INTO feed_records (source, record, digest) VALUES (?,?,?)",
                                  [(source, r, d) for r, d in digests.items()])
                    c.execute("INSERT OR REPLACE INTO feed_state (source, version) VALUES (?,?)", (source, version))
                c.execute("COMMIT")
            except BaseException:
                c.execute("ROLLBACK")
                raise
            return added, changed, removed

    def catch_up(self) -> int:
        """Bring the feed up to the store's current versions; returns how many changes were written."""
        written = 0
        current = {s.name: s for s in self.store.sources(include_system=False)}
        followed = {r["source"]: int(r["version"]) for r in self.db().execute("SELECT source, version FROM feed_state")}
        for name, info in current.items():
            if followed.get(name) != info.current.number:
                # From a remote store, a local copy: one request instead of one per record, and
                # the same literal forms as harvested pages have.
                digests = graph_digests(self.store.read_view(info)[0], info.physical)
                written += sum(map(len, self.record_version(name, info.current.number, digests)))
        for name in followed.keys() - current.keys():
            written += sum(map(len, self.record_version(name, None, {})))
        return written

    def since(self, since: str | None, *, limit: int = 1000, source: str | None = None) -> tuple[list[Change], int]:
        """Changes after `since` (a sequence number, or an ISO date/time), and the cursor to ask from next."""
        limit = max(1, min(limit, MAX_PAGE))
        where, args = ["1=1"], []
        if since not in (None, ""):
            assert since is not None
            if since.isdigit():
                where.append("seq > ?")
                args.append(int(since))
            else:
                try:
                    when = datetime.fromisoformat(since.replace("Z", "+00:00"))
                except ValueError:
                    raise BadInput(f"since={since!r}: give a sequence number from a previous answer "
                                   "or an ISO 8601 date/time") from None
                if when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                where.append("at > ?")
                args.append(when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"))
        if source:
            where.append("source = ?")
            args.append(source)
        rows = self.db().execute(f"SELECT * FROM changes WHERE {' AND '.join(where)} ORDER BY seq LIMIT ?",
                                 (*args, limit)).fetchall()
        changes = [Change(**dict(r)) for r in rows]
        cursor = changes[-1].seq if changes else self.last_seq(since)
        return changes, cursor

    def last_seq(self, since: str | None = None) -> int:
        if since and since.isdigit():
            return int(since)
        row = self.db().execute("SELECT MAX(seq) AS m FROM changes").fetchone()
        return int(row["m"] or 0)
