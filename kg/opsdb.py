"""Operational state that must never be visible through a read interface: tokens, audit, owners.

It lives in SQLite in the data directory (WAL mode), not in the RDF store: SQLite lets the CLI
create a token while a server holds the Oxigraph store, and nothing in it can leak through
SPARQL, GraphQL or the pages.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import BadInput, io_failure

SCOPES = ("read", "write", "admin")
_SCOPE_RANK = {s: i for i, s in enumerate(SCOPES)}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT, last_used_at TEXT);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
  source TEXT, triples INTEGER, outcome TEXT NOT NULL, detail TEXT);
CREATE TABLE IF NOT EXISTS owners (source TEXT PRIMARY KEY, token_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS link_checks (
  url TEXT PRIMARY KEY, status INTEGER, ok INTEGER NOT NULL, error TEXT, method TEXT, elapsed_ms INTEGER,
  checked_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS harvest_sources (
  name TEXT PRIMARY KEY, url TEXT NOT NULL, kind TEXT NOT NULL, schedule TEXT, profile TEXT,
  options TEXT, created_at TEXT NOT NULL);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class Token:
    id: str
    name: str
    scope: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    last_used_at: str | None

    def allows(self, scope: str) -> bool:
        return _SCOPE_RANK[self.scope] >= _SCOPE_RANK[scope]

    @property
    def active(self) -> bool:
        if self.revoked_at:
            return False
        return not (self.expires_at and self.expires_at <= _now())


def _token(row: sqlite3.Row) -> Token:
    fields = dict(zip(row.keys(), tuple(row), strict=True))
    fields.pop("hash", None)
    return Token(**fields)


class _Connection(sqlite3.Connection):
    """SQLite errors of the environment (read-only file, disk full, locked) become StoreUnavailable:
    a clear message and exit code 3 or HTTP 503, instead of a traceback or a 500."""

    def execute(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().execute(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            raise io_failure(exc, "the operational database (tokens, audit, owners)") from None

    def executescript(self, *args: Any, **kwargs: Any) -> sqlite3.Cursor:
        try:
            return super().executescript(*args, **kwargs)
        except sqlite3.OperationalError as exc:
            raise io_failure(exc, "the operational database (tokens, audit, owners)") from None


class OpsDB:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._local = threading.local()
        with self._conn() as c:
            c.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, factory=_Connection)
            except sqlite3.Error as exc:
                raise io_failure(exc, f"opening the operational database {self.path}") from None
            conn.execute("PRAGMA journal_mode=WAL")
            conn.row_factory = sqlite3.Row
            self._local.conn = conn
        return conn

    # -- tokens ------------------------------------------------------------------------------
    def create_token(self, scope: str, *, name: str = "", expires_at: str | None = None) -> tuple[Token, str]:
        """Returns the token record and the secret, which is shown once and stored only hashed."""
        if scope not in SCOPES:
            raise BadInput(f"unknown scope {scope!r}; use one of {', '.join(SCOPES)}")
        token_id = secrets.token_hex(4)
        secret = f"agora_{token_id}_{secrets.token_urlsafe(24)}"
        self._conn().execute(
            "INSERT INTO tokens (id, name, scope, hash, created_at, expires_at) VALUES (?,?,?,?,?,?)",
            (token_id, name or f"{scope}-{token_id}", scope, _hash(secret), _now(), expires_at))
        return self.get_token(token_id), secret

    def get_token(self, token_id: str) -> Token:
        row = self._conn().execute("SELECT * FROM tokens WHERE id=?", (token_id,)).fetchone()
        if row is None:
            raise BadInput(f"no token with id {token_id!r}")
        return _token(row)

    def tokens(self) -> list[Token]:
        rows = self._conn().execute("SELECT * FROM tokens ORDER BY created_at").fetchall()
        return [_token(r) for r in rows]

    def authenticate(self, secret: str) -> Token | None:
        row = self._conn().execute("SELECT * FROM tokens WHERE hash=?", (_hash(secret),)).fetchone()
        if row is None:
            return None
        token = _token(row)
        if not token.active:
            return None
        self._conn().execute("UPDATE tokens SET last_used_at=? WHERE id=?", (_now(), token.id))
        return token

    def revoke(self, token_id: str) -> Token:
        self.get_token(token_id)
        self._conn().execute("UPDATE tokens SET revoked_at=? WHERE id=?", (_now(), token_id))
        return self.get_token(token_id)

    def rotate(self, token_id: str) -> tuple[Token, str]:
        """A new secret for the same identity (scope, name, owned sources); the old one stops working."""
        old = self.get_token(token_id)
        secret = f"agora_{token_id}_{secrets.token_urlsafe(24)}"
        self._conn().execute("UPDATE tokens SET hash=?, revoked_at=NULL WHERE id=?", (_hash(secret), old.id))
        return self.get_token(token_id), secret

    # -- ownership -----------------------------------------------------------------------------
    def owner(self, source: str) -> str | None:
        row = self._conn().execute("SELECT token_id FROM owners WHERE source=?", (source,)).fetchone()
        return row["token_id"] if row else None

    def set_owner(self, source: str, token_id: str) -> None:
        self._conn().execute("INSERT OR REPLACE INTO owners (source, token_id) VALUES (?,?)", (source, token_id))

    def drop_owner(self, source: str) -> None:
        self._conn().execute("DELETE FROM owners WHERE source=?", (source,))

    # -- audit -----------------------------------------------------------------------------------
    def audit(self, who: str, action: str, *, source: str | None = None, triples: int | None = None,
              outcome: str = "ok", detail: Any = None) -> None:
        self._conn().execute(
            "INSERT INTO audit (at, who, action, source, triples, outcome, detail) VALUES (?,?,?,?,?,?,?)",
            (_now(), who, action, source, triples, outcome, json.dumps(detail) if detail is not None else None))

    def audit_log(self, limit: int = 100, source: str | None = None) -> list[dict[str, Any]]:
        q = "SELECT * FROM audit" + (" WHERE source=?" if source else "") + " ORDER BY id DESC LIMIT ?"
        args: tuple[Any, ...] = (source, limit) if source else (limit,)
        return [dict(r) for r in self._conn().execute(q, args).fetchall()]

    # -- link checks (kg/linkcheck.py) ---------------------------------------------------------
    def record_link_checks(self, results: list[dict[str, Any]]) -> None:
        """Store link-check outcomes (url, status, ok, error, method, elapsed_ms, checked_at); latest wins."""
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            conn.executemany(
                "INSERT OR REPLACE INTO link_checks (url, status, ok, error, method, elapsed_ms, checked_at) "
                "VALUES (:url, :status, :ok, :error, :method, :elapsed_ms, :checked_at)",
                [{**r, "ok": int(bool(r["ok"]))} for r in results])
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def link_checks(self, urls: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """The last outcome per URL (all checked URLs, or only `urls`)."""
        conn = self._conn()
        if urls is None:
            rows = conn.execute("SELECT * FROM link_checks").fetchall()
        else:
            rows = []
            for i in range(0, len(urls), 500):
                chunk = urls[i:i + 500]
                rows += conn.execute(f"SELECT * FROM link_checks WHERE url IN ({','.join('?' * len(chunk))})",
                                     chunk).fetchall()
        return {r["url"]: {**dict(r), "ok": bool(r["ok"])} for r in rows}
