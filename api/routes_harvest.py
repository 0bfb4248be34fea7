"""Harvesting over HTTP: the curator API, Agora's own DCAT-AP catalog, and the change feed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from agora.kg.catalog import DEFAULT_PER_PAGE, MAX_PER_PAGE, catalog_page
from agora.kg.namespaces import PREFIXES
from agora.kg.rdfio import serialize_triples

from .auth import check_owner, claim, require_scope
from .negotiation import graph_format

router = APIRouter(tags=["harvesting"])
CATALOG_PREFIXES = {**PREFIXES, "hydra": "http://www.w3.org/ns/hydra/core#",
                    "vcard": "http://www.w3.org/2006/vcard/ns#", "adms": "http://www.w3.org/ns/adms#"}


def _service(request: Request) -> Any:
    return request.app.state.harvest


def _source_view(request: Request, hs: Any) -> dict[str, Any]:
    svc = _service(request)
    last = svc.registry.last_run(hs.name)
    return {**hs.to_dict(), "next_run": svc.registry.next_run(hs.name),
            "last_run": last.to_dict() if last else None}


@router.get("/catalog", summary="Agora's holdings as a DCAT-AP 3 catalog, paged with Hydra (key-based `after=`)",
            response_class=Response)
def catalog(request: Request, after: str | None = None,
            per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = DEFAULT_PER_PAGE,
            format: Annotated[str | None, Query(description="turtle, jsonld, rdfxml, ntriples")] = None) -> Response:
    settings = request.app.state.settings
    fmt = graph_format(request.headers.get("accept"), format)
    page = catalog_page(request.app.state.store, settings.base_url, after=after, per_page=per_page)
    body = serialize_triples(iter(page.triples), fmt, prefixes=CATALOG_PREFIXES)
    return Response(body, media_type=fmt.media_type, headers={"Vary": "Accept"})


@router.get("/changes", summary="The change feed: records added, changed and removed since a cursor or time")
def changes(request: Request, since: str | None = None,
            limit: Annotated[int, Query(ge=1, le=10_000)] = 1000, source: str | None = None) -> dict[str, Any]:
    items, cursor = _service(request).changes(since, limit=limit, source=source)
    base = str(request.url.remove_query_params(["since"]))
    sep = "&" if "?" in base else "?"
    return {"changes": [c.to_dict() for c in items], "next": cursor,
            "next_url": f"{base}{sep}since={cursor}", "more": len(items) == limit}


harvest_api = APIRouter(prefix="/api/harvest", tags=["harvesting"])


@harvest_api.get("/sources", summary="Registered harvest sources with their schedule and last run")
def list_sources(request: Request) -> list[dict[str, Any]]:
    return [_source_view(request, hs) for hs in _service(request).registry.all()]


@harvest_api.post("/sources", summary="Register a harvest source (admin scope: only admins choose what is fetched)",
                  status_code=201)
def add_source(request: Request, spec: Annotated[dict[str, Any], Body(examples=[{
        "name": "tartu", "url": "https://andmed.tartu.ee/catalog", "kind": "dcat", "schedule": "0 3 * * *"}])],
               ) -> dict[str, Any]:
    token = require_scope(request, "admin")
    from agora.kg.errors import BadInput

    unknown = set(spec) - {"name", "url", "kind", "schedule", "profile", "options", "replace"}
    if unknown or not all(isinstance(spec.get(k), str) for k in ("name", "url", "kind")):
        raise BadInput("give name, url and kind as strings (and optionally schedule, profile, options)"
                       + (f"; unknown fields: {', '.join(sorted(unknown))}" if unknown else ""))
    options = spec.get("options") or {}
    if not isinstance(options, dict):
        raise BadInput("options must be an object")
    hs = _service(request).registry.add(spec["name"], spec["url"], spec["kind"], schedule=spec.get("schedule"),
                                        profile=spec.get("profile"), options=options,
                                        replace=bool(spec.get("replace")))
    request.app.state.ops.audit(token.name, "harvest-source-add", source=hs.name, detail={"url": hs.url,
                                                                                        "kind": hs.kind})
    claim(request, token, hs.name)
    return _source_view(request, hs)


@harvest_api.get("/sources/{name}", summary="One harvest source with its recent runs")
def get_source(name: str, request: Request) -> dict[str, Any]:
    svc = _service(request)
    hs = svc.registry.require(name)
    return {**_source_view(request, hs), "runs": [r.to_dict() for r in svc.registry.runs(name)]}


@harvest_api.delete("/sources/{name}", summary="Unregister a harvest source (its harvested data stays until deleted)")
def remove_source(name: str, request: Request) -> dict[str, Any]:
    token = require_scope(request, "admin")
    hs = _service(request).registry.remove(name)
    request.app.state.ops.audit(token.name, "harvest-source-remove", source=name)
    return {"removed": hs.name}


@harvest_api.post("/sources/{name}/run", summary="Harvest now; `wait=true` answers when the run has finished",
                  status_code=202)
async def run_now(name: str, request: Request, response: Response, wait: bool = False) -> dict[str, Any]:
    token = require_scope(request, "write")
    check_owner(request, token, name)
    svc = _service(request)
    run = svc.start_run(name, user=token.name)
    request.app.state.ops.audit(token.name, "harvest", source=name, detail={"run": run.id})
    if wait:
        await run_in_threadpool(svc.wait, name)
        run = svc.registry.run(run.id)
        response.status_code = 200
    return run.to_dict()


@harvest_api.get("/runs/{run_id}", summary="One harvest run: status, progress, counts, rejection reasons")
def get_run(run_id: str, request: Request) -> dict[str, Any]:
    return _service(request).registry.run(run_id).to_dict()


@harvest_api.get("/sources/{name}/quarantine",
                 summary="Records the last harvest rejected, with their validation results")
def quarantine(name: str, request: Request) -> list[dict[str, Any]]:
    return _service(request).quarantine(name)
