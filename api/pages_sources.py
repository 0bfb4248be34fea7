"""A page per source: its versions with provenance, its harvest runs, and the records in quarantine."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from .page_base import render

router = APIRouter()


@router.get("/sources/{name}", response_class=HTMLResponse,
            summary="One source: versions and provenance, harvest runs, quarantined records")
def source_page(name: str, request: Request) -> Response:
    store = request.app.state.store
    info = store.require(name)
    harvesting = request.app.state.harvest
    registry = harvesting.registry
    hs = registry.find(name)
    return render(request, "source_detail.html", {
        "source": info, "versions": [info.current, *info.history], "harvest_source": hs,
        "next_run": registry.next_run(name) if hs else None,
        "runs": registry.runs(name, 20) if hs else [],
        "quarantine": harvesting.quarantine(name) if hs else [],
    })
