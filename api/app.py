"""The FastAPI application: one factory, used by `agora serve`, the tests and the benchmarks."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from agora.kg.config import Settings
from agora.kg.errors import AgoraError, ValidationFailed
from agora.kg.opsdb import OpsDB
from agora.kg.store import AgoraStore

log = logging.getLogger("agora")
HERE = Path(__file__).parent


def create_app(settings: Settings, *, store: AgoraStore | None = None, load_demo: bool | None = None) -> FastAPI:
    """Build the app around an open store (opened here unless given)."""
    owned = store is None
    if store is None:
        store = AgoraStore(settings)
    demo = settings.demo if load_demo is None else load_demo
    if demo or (demo is None and not store.remote and store.is_empty()):  # a remote store gets it on --demo only
        # Several API processes may start at once on one remote store: the first loads the demo.
        with store.write_lock:
            if demo or store.is_empty():
                from agora.kg.demo import load_demo as _load

                log.warning("loading the demo catalog into %s (use --no-demo to start empty)", settings.data_dir)
                _load(store, say=log.warning)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ex = getattr(app.state, "executor", None)
        if ex is not None:
            ex.close()
        search = getattr(app.state, "search", None)
        if search is not None and hasattr(search, "detach"):
            search.detach()
        harvesting = getattr(app.state, "harvest", None)
        if harvesting is not None:
            harvesting.stop()
        if owned:
            store.close()

    app = FastAPI(title="Agora", version="0.1.0", lifespan=lifespan,
                  description="A semantic catalog for European smart-community data spaces: DCAT-AP 3 "
                              "datasets, stakeholders, use cases and ODRL policies, with SPARQL, GraphQL, "
                              "SHACL validation and search.")
    from fastapi.middleware.cors import CORSMiddleware

    # Reads are public, so browser tools (YASGUI, Comunica) may query from any origin; writes need
    # a bearer token, which a cross-origin page cannot obtain from this server.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
                       allow_headers=["Accept", "Content-Type", "Authorization", "If-Match", "If-None-Match"],
                       expose_headers=["ETag", "Retry-After"])
    from .limits import install_limits

    install_limits(app, settings)
    if store.remote:
        app.add_middleware(RefreshMiddleware, store=store)
    app.state.settings = settings
    app.state.executor = None
    app.state.store = store
    app.state.ops = OpsDB(settings.ops_db_path)

    @app.exception_handler(AgoraError)
    async def agora_error(request: Request, exc: AgoraError) -> JSONResponse:
        body = exc.to_dict()
        if isinstance(exc, ValidationFailed) and exc.report is not None:
            from agora.kg.report_formats import report_json

            body["report"] = report_json(exc.report)
        headers = {}
        if exc.http_status == 503:
            headers["Retry-After"] = "5"
        if exc.http_status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="agora"'
        return JSONResponse(body, status_code=exc.http_status, headers=headers)

    @app.exception_handler(OSError)
    async def io_error(request: Request, exc: OSError) -> JSONResponse:
        # The data directory failed under a request (disk full, made read-only): the server is
        # unavailable for it, not broken; the write was not committed (loads are all or nothing).
        from agora.kg.errors import io_failure

        log.error("%s %s: %s", request.method, request.url.path, exc)
        failure = io_failure(exc, "the request")
        return JSONResponse(failure.to_dict(), status_code=503, headers={"Retry-After": "30"})

    @app.get("/healthz", tags=["service"], summary="The process is alive")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["service"], summary="The store is open and answers queries")
    def readyz() -> JSONResponse:
        try:
            n = len(store.sources())
            bool(store.ox.query("ASK { }"))
        except Exception as exc:  # any store failure means not ready
            return JSONResponse({"status": "unavailable", "detail": str(exc)}, status_code=503)
        return JSONResponse({"status": "ready", "sources": n, "pid": os.getpid()})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def landing(request: Request) -> Any:
        from .pages_home import home

        return await home(request)

    from agora.kg.harvest.service import HarvestService
    from agora.kg.search.service import SearchService

    from . import routes_harvest, routes_policy, routes_quality, routes_search, routes_sources, routes_sparql

    # The SPARQL protocol routes come first: routes are matched in order, and a point lookup should
    # not pay for trying every page and API route before it (measured: ~0.5 ms per request).
    app.include_router(routes_sparql.router)
    # The index follows every committed write from now on; opening it repairs any disagreement.
    app.state.search = SearchService.attach(store, settings)
    app.include_router(routes_search.router)
    # Scheduled harvests run here; the change feed catches up after every committed write.
    app.state.harvest = HarvestService(store, app.state.ops)
    if not store.read_only:
        app.state.harvest.start(scheduler_interval=settings.harvest_check_interval)
    app.include_router(routes_harvest.router)
    app.include_router(routes_harvest.harvest_api)

    app.include_router(routes_policy.router)
    app.include_router(routes_quality.router)
    app.include_router(routes_quality.profiles_router)
    app.include_router(routes_sources.router)
    app.include_router(routes_sources.admin)
    from .graphql import make_graphql_router

    app.include_router(make_graphql_router())
    from . import pages

    app.include_router(pages.router)
    static = HERE / "static"
    if static.is_dir():
        app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app


class RefreshMiddleware:
    """Before each request, pick up what other API processes committed to the shared remote store
    (a `stat` of the stamp file when nothing changed). Plain ASGI: it runs on every request."""

    def __init__(self, app: Any, store: AgoraStore) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and self.store.refresh_due():
            from starlette.concurrency import run_in_threadpool

            await run_in_threadpool(self.store.refresh)
        await self.app(scope, receive, send)
