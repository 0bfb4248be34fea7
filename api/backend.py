"""Where CLI commands run: on the store directly, or through the server that holds it.

pyoxigraph locks its on-disk store to one process. While `agora serve` runs on a data
directory it records its address there (server.json), and the CLI sends its commands to that
server's HTTP API instead, with the same output and exit codes (writes then need a token).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import httpx

from agora.kg.config import Settings
from agora.kg.errors import AgoraError, BadInput, Forbidden, StoreUnavailable, Unauthorized, ValidationFailed


class Backend(Protocol):
    def load(self, paths: list[Path], *, name: str | None, replace: bool, fmt: str | None,
             shapes: list[Path], validate: bool, progress: Callable[[int], None] | None) -> dict[str, Any]: ...
    def delete(self, name: str) -> dict[str, Any]: ...
    def sources(self) -> list[dict[str, Any]]: ...
    def query(self, text: str, fmt: str) -> tuple[str, Iterator[bytes]]: ...
    def export(self, name: str | None, fmt: str) -> bytes: ...
    def rollback(self, name: str) -> dict[str, Any]: ...
    def backup(self, target: Path) -> dict[str, Any]: ...
    def harvest_sources(self) -> list[dict[str, Any]]: ...
    def add_harvest_source(self, spec: dict[str, Any]) -> dict[str, Any]: ...
    def remove_harvest_source(self, name: str) -> dict[str, Any]: ...
    def harvest_source(self, name: str) -> dict[str, Any]: ...
    def harvest(self, name: str, progress: Callable[[dict[str, Any]], None] | None) -> dict[str, Any]: ...
    def quarantine(self, name: str) -> list[dict[str, Any]]: ...
    def changes(self, since: str | None, limit: int, source: str | None) -> dict[str, Any]: ...
    def close(self) -> None: ...


class LocalBackend:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Any = None

    @property
    def store(self) -> Any:
        """Opened on first use: registering a harvest source or listing runs needs only the ops database."""
        if self._store is None:
            from agora.kg.store import AgoraStore

            self._store = AgoraStore(self.settings)
        return self._store

    def load(self, paths: list[Path], *, name: str | None, replace: bool, fmt: str | None,
             shapes: list[Path], validate: bool, progress: Callable[[int], None] | None) -> dict[str, Any]:
        from agora.kg.loader import load_files
        from agora.kg.report_formats import report_json
        from agora.kg.validation import register_shapes

        profile = register_shapes(self.settings.data_dir, shapes) if shapes else None
        try:
            result = load_files(self.store, paths, fmt=fmt, name=name, replace=replace, validate=validate,
                                profile=profile, user=os.environ.get("USER", "cli"), progress=progress)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, report_json(exc.report)) from None
        out = result.to_dict()
        if result.report is not None:
            out["report"] = report_json(result.report)
        return out

    def delete(self, name: str) -> dict[str, Any]:
        from agora.kg.loader import delete_source

        info = delete_source(self.store, name)
        return {"deleted": info.name, "graph": info.graph_iri}

    def sources(self) -> list[dict[str, Any]]:
        registry = self._registry()
        return [{**s.to_dict(), "harvest": registry.summary(s.name)} for s in self.store.sources()]

    def query(self, text: str, fmt: str) -> tuple[str, Iterator[bytes]]:
        from agora.kg.query import run_query
        from agora.kg.rdfio import parse_format, serialize_triples
        from agora.kg.results import SELECT_WRITERS, ask_text

        outcome = run_query(self.store, text)
        if outcome.kind == "graph":
            rdf = parse_format("turtle" if fmt in ("json", "table") else fmt)
            assert outcome.triples is not None
            return "graph", iter([serialize_triples(outcome.triples, rdf)])
        if fmt not in SELECT_WRITERS:
            raise BadInput(f"format {fmt!r} does not fit a {outcome.kind.upper()} query; use json, xml, csv or tsv")
        if outcome.kind == "ask":
            return "ask", iter([ask_text(bool(outcome.boolean), fmt)])
        assert outcome.rows is not None
        return "select", SELECT_WRITERS[fmt](outcome.variables, outcome.rows)

    def export(self, name: str | None, fmt: str) -> bytes:
        from agora.kg.rdfio import parse_format

        return self.store.export(name, parse_format(fmt))

    def rollback(self, name: str) -> dict[str, Any]:
        from agora.kg.history import rollback

        return rollback(self.store, name).to_dict()

    def backup(self, target: Path) -> dict[str, Any]:
        from agora.kg.backup import backup

        return backup(self.store, target)

    # -- harvesting (the CLI on the data directory acts with admin rights, like the server's owner)
    def _harvesting(self) -> Any:
        from agora.kg.harvest.service import HarvestService
        from agora.kg.opsdb import OpsDB

        if getattr(self, "_harvest", None) is None:
            self._harvest = HarvestService(self.store, OpsDB(self.settings.ops_db_path))
            self._harvest.registry.abandon_running()
        return self._harvest

    def _registry(self) -> Any:
        from agora.kg.harvest.sources import HarvestRegistry
        from agora.kg.opsdb import OpsDB

        return HarvestRegistry(OpsDB(self.settings.ops_db_path))

    def harvest_sources(self) -> list[dict[str, Any]]:
        reg = self._registry()
        return [_harvest_view(reg, hs) for hs in reg.all()]

    def add_harvest_source(self, spec: dict[str, Any]) -> dict[str, Any]:
        reg = self._registry()
        spec = dict(spec)
        hs = reg.add(spec.pop("name"), spec.pop("url"), spec.pop("kind"), **spec)
        return _harvest_view(reg, hs)

    def remove_harvest_source(self, name: str) -> dict[str, Any]:
        return {"removed": self._registry().remove(name).name}

    def harvest_source(self, name: str) -> dict[str, Any]:
        reg = self._registry()
        return {**_harvest_view(reg, reg.require(name)), "runs": [r.to_dict() for r in reg.runs(name)]}

    def harvest(self, name: str, progress: Callable[[dict[str, Any]], None] | None) -> dict[str, Any]:
        from agora.kg.harvest.run import harvest

        svc = self._harvesting()
        run = harvest(self.store, svc.registry, svc.feed, name, user=os.environ.get("USER", "cli"),
                      progress=(lambda r: progress(r.to_dict())) if progress else None)
        return run.to_dict()

    def quarantine(self, name: str) -> list[dict[str, Any]]:
        return self._harvesting().quarantine(name)  # type: ignore[no-any-return]

    def changes(self, since: str | None, limit: int, source: str | None) -> dict[str, Any]:
        items, cursor = self._harvesting().changes(since, limit=limit, source=source)
        return {"changes": [c.to_dict() for c in items], "next": cursor, "more": len(items) == limit}

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _harvest_view(reg: Any, hs: Any) -> dict[str, Any]:
    last = reg.last_run(hs.name)
    return {**hs.to_dict(), "next_run": reg.next_run(hs.name), "last_run": last.to_dict() if last else None}


_SELECT_ACCEPT = {"json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
                  "csv": "text/csv", "tsv": "text/tab-separated-values"}


class RemoteBackend:
    def __init__(self, url: str, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.client = httpx.Client(base_url=self.url, headers=headers, timeout=httpx.Timeout(600, connect=5))

    def _check(self, r: httpx.Response) -> httpx.Response:
        if r.status_code < 400:
            return r
        try:
            body = r.json()
        except ValueError:
            body = {"message": r.text[:500]}
        message = body.get("message") or body.get("detail") or r.reason_phrase
        if r.status_code == 422 and "report" in body:
            raise ValidationFailed(str(message), body["report"])
        if r.status_code == 401:
            raise Unauthorized(f"{message} (set AGORA_TOKEN or pass --token)")
        if r.status_code == 403:
            raise Forbidden(str(message))
        if r.status_code >= 500:
            raise StoreUnavailable(f"server error {r.status_code}: {message}")
        raise BadInput(str(message))

    def load(self, paths: list[Path], *, name: str | None, replace: bool, fmt: str | None,
             shapes: list[Path], validate: bool, progress: Callable[[int], None] | None) -> dict[str, Any]:
        from agora.kg.loader import default_name

        files = [("file", (p.name, p.read_bytes())) for p in paths]
        files += [("shapes", (p.name, p.read_bytes())) for p in shapes]
        params: dict[str, Any] = {"replace": str(replace).lower(), "validate": str(validate).lower()}
        if fmt:
            params["format"] = fmt
        r = self.client.post(f"/api/sources/{name or default_name(paths[0])}", params=params, files=files)
        return self._check(r).json()

    def delete(self, name: str) -> dict[str, Any]:
        return self._check(self.client.delete(f"/api/sources/{name}")).json()

    def sources(self) -> list[dict[str, Any]]:
        return self._check(self.client.get("/api/sources")).json()

    def query(self, text: str, fmt: str) -> tuple[str, Iterator[bytes]]:
        from agora.kg.rdfio import parse_format

        accept = _SELECT_ACCEPT[fmt] + ", text/turtle;q=0.5" if fmt in _SELECT_ACCEPT else parse_format(fmt).media_type
        r = self._check(self.client.post("/sparql", content=text.encode(),
                                          headers={"Content-Type": "application/sparql-query", "Accept": accept}))
        kind = "select" if "sparql-results" in r.headers.get("content-type", "") else "graph"
        return kind, iter([r.content])

    def export(self, name: str | None, fmt: str) -> bytes:
        params = {"graph": name} if name else {"default": ""}
        return self._check(self.client.get("/store", params={**params, "format": fmt})).content

    def rollback(self, name: str) -> dict[str, Any]:
        return self._check(self.client.post(f"/api/sources/{name}/rollback")).json()

    def backup(self, target: Path) -> dict[str, Any]:
        return self._check(self.client.post("/api/admin/backup", params={"dir": str(Path(target).resolve())})).json()

    def harvest_sources(self) -> list[dict[str, Any]]:
        return self._check(self.client.get("/api/harvest/sources")).json()

    def add_harvest_source(self, spec: dict[str, Any]) -> dict[str, Any]:
        return self._check(self.client.post("/api/harvest/sources", json=spec)).json()

    def remove_harvest_source(self, name: str) -> dict[str, Any]:
        return self._check(self.client.delete(f"/api/harvest/sources/{name}")).json()

    def harvest_source(self, name: str) -> dict[str, Any]:
        return self._check(self.client.get(f"/api/harvest/sources/{name}")).json()

    def harvest(self, name: str, progress: Callable[[dict[str, Any]], None] | None) -> dict[str, Any]:
        import time

        run = self._check(self.client.post(f"/api/harvest/sources/{name}/run")).json()
        while run["status"] == "running":
            if progress is not None:
                progress(run)
            time.sleep(0.5)
            run = self._check(self.client.get(f"/api/harvest/runs/{run['id']}")).json()
        if progress is not None:
            progress(run)
        return run  # type: ignore[no-any-return]

    def quarantine(self, name: str) -> list[dict[str, Any]]:
        return self._check(self.client.get(f"/api/harvest/sources/{name}/quarantine")).json()

    def changes(self, since: str | None, limit: int, source: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if since:
            params["since"] = since
        if source:
            params["source"] = source
        return self._check(self.client.get("/changes", params=params)).json()

    def close(self) -> None:
        self.client.close()


def running_server(settings: Settings) -> str | None:
    """The URL of a live server holding this data directory, if any (stale records are ignored)."""
    path = settings.server_file
    if not path.is_file():
        return None
    try:
        info = json.loads(path.read_text())
        os.kill(int(info["pid"]), 0)
    except (ValueError, KeyError, OSError):
        return None
    try:
        r = httpx.get(info["url"].rstrip("/") + "/healthz", timeout=2)
        if r.status_code == 200:
            return str(info["url"])
    except httpx.HTTPError:
        return None
    return None


def open_backend(settings: Settings, token: str | None = None) -> Backend:
    url = running_server(settings)
    if url is not None:
        return RemoteBackend(url, token or os.environ.get("AGORA_TOKEN"))
    try:
        return LocalBackend(settings)
    except AgoraError:
        raise
