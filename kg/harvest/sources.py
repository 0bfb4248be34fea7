"""Registered harvest sources and the record of every harvest run.

They live in the operational SQLite database next to tokens and the audit log: registering a
URL is an admin decision that must not be editable through SPARQL, and the scheduler of every
API worker claims due runs there with one atomic UPDATE, so a scheduled harvest runs once.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import BadInput, SourceNotFound
from ..opsdb import OpsDB
from ..registry import check_name
from .fetch import check_registered_url

KINDS = ("dcat", "ckan", "sparql", "agora")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS harvest_runs (
  id TEXT PRIMARY KEY, source TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT,
  status TEXT NOT NULL, trigger TEXT NOT NULL, version INTEGER, pages INTEGER DEFAULT 0,
  records INTEGER DEFAULT 0, rejected INTEGER DEFAULT 0, added INTEGER DEFAULT 0,
  changed INTEGER DEFAULT 0, removed INTEGER DEFAULT 0, bytes INTEGER DEFAULT 0,
  reasons TEXT, error TEXT, progress TEXT);
CREATE INDEX IF NOT EXISTS harvest_runs_source ON harvest_runs (source, started_at);
CREATE TABLE IF NOT EXISTS harvest_schedule (
  source TEXT PRIMARY KEY, next_run TEXT, claimed_by TEXT, claimed_at TEXT);
"""


def now() -> datetime:
    return datetime.now(UTC)


def iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass
class HarvestSource:
    name: str
    url: str
    kind: str
    schedule: str | None = None
    profile: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    """Per-kind settings: `query` (sparql), `max_pages`, `page_size`, `allow_empty`."""
    created_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class HarvestRun:
    id: str
    source: str
    started_at: str
    status: str
    """running, ok, failed"""
    trigger: str
    ended_at: str | None = None
    version: int | None = None
    pages: int = 0
    records: int = 0
    rejected: int = 0
    added: int = 0
    changed: int = 0
    removed: int = 0
    bytes: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    """Rejection reasons (validation messages) with how many records each rejected."""
    error: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _runner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    return True


def _run(row: sqlite3.Row) -> HarvestRun:
    d = dict(row)
    d.pop("runner", None)  # which process runs it: bookkeeping for abandon_running, not shown
    d["reasons"] = json.loads(d["reasons"] or "{}")
    d["progress"] = json.loads(d["progress"] or "{}")
    return HarvestRun(**d)


class HarvestRegistry:
    def __init__(self, ops: OpsDB) -> None:
        self.ops = ops
        self.db().executescript(_SCHEMA)
        columns = {row["name"] for row in self.db().execute("PRAGMA table_info(harvest_runs)")}
        if "runner" not in columns:  # a database from before runs recorded their process
            try:
                self.db().execute("ALTER TABLE harvest_runs ADD COLUMN runner TEXT")
            except sqlite3.OperationalError as exc:  # another process added it first
                if "duplicate column" not in str(exc):
                    raise

    def db(self) -> sqlite3.Connection:
        return self.ops._conn()  # one connection per thread, shared with the rest of the ops data

    # -- sources -----------------------------------------------------------------------------
    def add(self, name: str, url: str, kind: str, *, schedule: str | None = None, profile: str | None = None,
            options: dict[str, Any] | None = None, replace: bool = False) -> HarvestSource:
        check_name(name)
        check_registered_url(url)
        if kind not in KINDS:
            raise BadInput(f"unknown harvest kind {kind!r}; use one of {', '.join(KINDS)}")
        if schedule:
            from .schedule import next_after

            next_after(schedule, now())  # refuse a schedule that does not parse
        if profile:
            from ..profiles import get_profile

            get_profile(profile, self.ops.path.parent)  # an unknown profile is refused now, not at harvest time
        opts = dict(options or {})
        if kind == "sparql" and not opts.get("query"):
            from .readers import DEFAULT_SPARQL_QUERY

            opts["query"] = DEFAULT_SPARQL_QUERY
        if self.find(name) is not None and not replace:
            raise BadInput(f"harvest source {name!r} is already registered; remove it first or use --replace",
                           status=409)
        hs = HarvestSource(name, url, kind, schedule or None, profile or None, opts, iso(now()))
        c = self.db()
        c.execute("INSERT OR REPLACE INTO harvest_sources (name, url, kind, schedule, profile, options, created_at) "
                  "VALUES (?,?,?,?,?,?,?)", (name, url, kind, hs.schedule, hs.profile, json.dumps(opts),
                                             hs.created_at))
        c.execute("DELETE FROM harvest_schedule WHERE source=?", (name,))
        if hs.schedule:
            from .schedule import next_after

            c.execute("INSERT INTO harvest_schedule (source, next_run) VALUES (?,?)",
                      (name, iso(next_after(hs.schedule, now()))))
        return hs

    def find(self, name: str) -> HarvestSource | None:
        row = self.db().execute("SELECT * FROM harvest_sources WHERE name=?", (name,)).fetchone()
        if row is None:
            return None
        d = dict(row)
        d["options"] = json.loads(d["options"] or "{}")
        return HarvestSource(**d)

    def require(self, name: str) -> HarvestSource:
        hs = self.find(name)
        if hs is None:
            raise SourceNotFound(f"no harvest source named {name!r}; register it with `agora source add`",
                                 source=name)
        return hs

    def all(self) -> list[HarvestSource]:
        names = [r["name"] for r in self.db().execute("SELECT name FROM harvest_sources ORDER BY name")]
        return [self.require(n) for n in names]

    def summary(self, name: str) -> dict[str, Any] | None:
        """What `agora sources` and /api/sources show of a harvested source: where from, last run."""
        hs = self.find(name)
        if hs is None:
            return None
        last = self.last_run(name)
        return {"kind": hs.kind, "url": hs.url, "schedule": hs.schedule, "next_run": self.next_run(name),
                "last_run": None if last is None else {
                    k: getattr(last, k) for k in ("id", "started_at", "ended_at", "status", "records", "rejected",
                                                   "added", "changed", "removed", "error")}}

    def remove(self, name: str) -> HarvestSource:
        hs = self.require(name)
        self.db().execute("DELETE FROM harvest_sources WHERE name=?", (name,))
        self.db().execute("DELETE FROM harvest_schedule WHERE source=?", (name,))
        return hs

    # -- runs ----------------------------------------------------------------------------------
    def start_run(self, source: str, trigger: str) -> HarvestRun:
        run = HarvestRun(id=secrets.token_hex(6), source=source, started_at=iso(now()), status="running",
                         trigger=trigger)
        self.db().execute("INSERT INTO harvest_runs (id, source, started_at, status, trigger, runner) "
                          "VALUES (?,?,?,?,?,?)", (run.id, source, run.started_at, run.status, trigger, _runner()))
        return run

    def save_run(self, run: HarvestRun) -> None:
        self.db().execute(
            "UPDATE harvest_runs SET ended_at=?, status=?, version=?, pages=?, records=?, rejected=?, added=?, "
            "changed=?, removed=?, bytes=?, reasons=?, error=?, progress=? WHERE id=?",
            (run.ended_at, run.status, run.version, run.pages, run.records, run.rejected, run.added, run.changed,
             run.removed, run.bytes, json.dumps(run.reasons), run.error, json.dumps(run.progress), run.id))

    def run(self, run_id: str) -> HarvestRun:
        row = self.db().execute("SELECT * FROM harvest_runs WHERE id=?", (run_id,)).fetchone()
        if row is None:
            raise SourceNotFound(f"no harvest run {run_id!r}")
        return _run(row)

    def runs(self, source: str | None = None, limit: int = 20) -> list[HarvestRun]:
        q = ("SELECT * FROM harvest_runs" + (" WHERE source=?" if source else "")
             + " ORDER BY started_at DESC, rowid DESC LIMIT ?")
        args: tuple[Any, ...] = (source, limit) if source else (limit,)
        return [_run(r) for r in self.db().execute(q, args).fetchall()]

    def last_run(self, source: str) -> HarvestRun | None:
        runs = self.runs(source, 1)
        return runs[0] if runs else None

    def abandon_running(self) -> int:
        """Runs left 'running' by a process that died: mark them failed (nothing of them was committed).

        Only runs whose process is gone: the API processes of `agora serve --workers N` share this
        database, and one starting (or restarted by uvicorn) must not fail a harvest another is
        running. A run of another host, or of a process whose id was reused since, is left alone;
        a run from before runs recorded their process is taken as interrupted."""
        host = socket.gethostname()
        gone = []
        for row in self.db().execute("SELECT id, runner FROM harvest_runs WHERE status='running'").fetchall():
            runner = row["runner"]
            if runner is None:
                gone.append(row["id"])
                continue
            runner_host, _, pid = runner.rpartition(":")
            if runner_host == host and pid.isdigit() and not _alive(int(pid)):
                gone.append(row["id"])
        for run_id in gone:
            self.db().execute("UPDATE harvest_runs SET status='failed', error='interrupted (the process stopped)', "
                              "ended_at=? WHERE id=? AND status='running'", (iso(now()), run_id))
        return len(gone)

    # -- schedule ------------------------------------------------------------------------------
    def claim_due(self, worker: str, at: datetime) -> list[str]:
        """Atomically take the sources due at `at` and move their next run on; returns their names."""
        from .schedule import next_after

        claimed = []
        c = self.db()
        due = c.execute("SELECT source, next_run FROM harvest_schedule WHERE next_run <= ?", (iso(at),)).fetchall()
        for row in due:
            hs = self.find(row["source"])
            if hs is None or not hs.schedule:
                continue
            nxt = iso(next_after(hs.schedule, at))
            cur = c.execute("UPDATE harvest_schedule SET next_run=?, claimed_by=?, claimed_at=? "
                            "WHERE source=? AND next_run=?", (nxt, worker, iso(at), row["source"], row["next_run"]))
            if cur.rowcount == 1:
                claimed.append(row["source"])
        return claimed

    def next_run(self, source: str) -> str | None:
        row = self.db().execute("SELECT next_run FROM harvest_schedule WHERE source=?", (source,)).fetchone()
        return row["next_run"] if row else None
