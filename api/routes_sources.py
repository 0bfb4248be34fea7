"""Curator API for sources: list, load or replace, delete. The CLI uses it while a server runs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool

from agora.kg.errors import BadInput
from agora.kg.loader import delete_source, load_documents
from agora.kg.rdfio import RDFInput, guess_format, parse_format
from agora.kg.validation import register_shapes

from .auth import check_owner, claim, require_scope

router = APIRouter(prefix="/api/sources", tags=["sources"])


@router.get("", summary="List sources with their graph IRI, size, provenance and validation status")
def list_sources(request: Request) -> list[dict[str, Any]]:
    registry = request.app.state.harvest.registry
    return [{**s.to_dict(), "harvest": registry.summary(s.name)} for s in request.app.state.store.sources()]


@router.get("/{name}", summary="One source")
def get_source(name: str, request: Request) -> dict[str, Any]:
    return request.app.state.store.require(name).to_dict()




@router.post("/{name}", summary="Load a source (multipart files or a raw RDF body); replace=true to replace")
async def load_source(
    name: str, request: Request,
    replace: bool = False, validate: bool = True,
    format: Annotated[str | None, Query(description="input syntax (turtle, ntriples, jsonld, ...)")] = None,
    profile: str | None = None,
) -> dict[str, Any]:
    token = require_scope(request, "write")
    check_owner(request, token, name)
    settings = request.app.state.settings
    ctype = request.headers.get("content-type", "")
    docs: list[RDFInput] = []
    shapes: list[Path] = []
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        tmp = Path(tempfile.mkdtemp(prefix="agora-upload-"))
        for key, value in form.multi_items():
            if not isinstance(value, UploadFile) and not hasattr(value, "read"):
                continue
            data = await value.read()  # type: ignore[union-attr]
            filename = getattr(value, "filename", None) or "upload"
            if key == "shapes":
                p = tmp / Path(filename).name
                p.write_bytes(data)
                shapes.append(p)
                continue
            fmt = parse_format(format) if format else guess_format(filename)
            docs.append(RDFInput.from_bytes(data, name=filename, fmt=fmt))
    else:
        body = await request.body()
        fmt = parse_format(format) if format else parse_format(ctype or "text/turtle")
        docs.append(RDFInput.from_bytes(body, name="request body", fmt=fmt))
    if shapes:
        profile = register_shapes(settings.data_dir, shapes)
    if sum(len(d.data) for d in docs) > settings.max_body_bytes:
        raise BadInput(f"upload larger than the limit of {settings.max_body_bytes} bytes")
    store = request.app.state.store
    result = await run_in_threadpool(
        load_documents, store, docs, name=name, replace=replace, validate=validate, profile=profile,
        user=token.name, origin=", ".join(d.name for d in docs))
    ops = request.app.state.ops
    claim(request, token, name)
    ops.audit(token.name, "replace" if result.replaced_version else "load", source=name, triples=result.triples)
    out = result.to_dict()
    if result.report is not None:
        from agora.kg.report_formats import report_json

        out["report"] = report_json(result.report)
    return out


@router.delete("/{name}", summary="Delete a source: its graph, history and metadata")
def remove_source(name: str, request: Request) -> dict[str, Any]:
    token = require_scope(request, "write")
    check_owner(request, token, name)
    info = delete_source(request.app.state.store, name)
    request.app.state.ops.drop_owner(name)
    request.app.state.ops.audit(token.name, "delete", source=name, triples=info.current.triples)
    return {"deleted": info.name, "graph": info.graph_iri}


@router.get("/{name}/export", summary="The source as loaded (original literal forms)")
def export_source(name: str, request: Request, format: str = "turtle") -> Any:
    from fastapi import Response

    fmt = parse_format(format)
    data = request.app.state.store.export(name, fmt)
    return Response(data, media_type=fmt.media_type)




@router.post("/{name}/rollback", summary="Make the previous version of a source current again")
def rollback_source(name: str, request: Request) -> dict[str, Any]:
    from agora.kg.history import rollback

    token = require_scope(request, "write")
    check_owner(request, token, name)
    info = rollback(request.app.state.store, name)
    request.app.state.ops.audit(token.name, "rollback", source=name, triples=info.current.triples,
                                detail={"version": info.current.number})
    return info.to_dict()


admin = APIRouter(prefix="/api/admin", tags=["admin"])


@admin.post("/backup", summary="Write a consistent backup of the data directory to a directory on the server")
def backup_now(request: Request, dir: str) -> dict[str, Any]:
    from agora.kg.backup import backup

    token = require_scope(request, "admin")
    manifest = backup(request.app.state.store, Path(dir))
    request.app.state.ops.audit(token.name, "backup", detail={"dir": dir})
    return manifest


@admin.get("/audit", summary="The audit log of writes (admins only)")
def audit_log(request: Request, limit: int = 100, source: str | None = None) -> list[dict[str, Any]]:
    require_scope(request, "admin")
    return request.app.state.ops.audit_log(limit=min(limit, 10_000), source=source)
