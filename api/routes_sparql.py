"""SPARQL 1.1 Protocol (/sparql: query, update, service description) and Graph Store Protocol (/store)."""

from __future__ import annotations

import re
import threading
import uuid
from typing import Any

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from agora.kg.errors import AgoraError, BadInput, SourceNotFound
from agora.kg.executor import QueryExecutor, QueryJob, RemoteQueryExecutor, make_executor
from agora.kg.loader import delete_source, load_documents
from agora.kg.rdfio import RDFInput, parse_format, serialize_triples
from agora.kg.service_description import service_description
from agora.kg.sparql_text import has_service_clause
from agora.kg.update import run_update, source_name_for, update_targets

from .auth import check_owner, claim, require_scope
from .negotiation import graph_format, select_format

router = APIRouter(tags=["sparql"])
_executor_lock = threading.Lock()


class PreconditionFailed(AgoraError):
    exit_code = 2
    http_status = 412


class UnsupportedMediaType(BadInput):
    http_status = 415


def executor(request: Request) -> QueryExecutor | RemoteQueryExecutor:
    """The query worker pool, started on first use (tests that never query never pay for it)."""
    state = request.app.state
    with _executor_lock:
        if getattr(state, "executor", None) is None:
            state.executor = make_executor(state.store)
        return state.executor


def _check_service(request: Request, text: str) -> None:
    allowed = set(request.app.state.settings.service_allowlist)
    for endpoint in has_service_clause(text):
        if endpoint not in allowed:
            raise BadInput(f"SERVICE <{endpoint}> is not allowed: this server only calls SPARQL endpoints on its "
                           "configured allowlist (service_allowlist)")


def _decode(request: Request, body: bytes) -> str:
    """The request body as text, in its declared charset (UTF-8 by default); undecodable is a 400."""
    ctype = request.headers.get("content-type", "")
    charset = "utf-8"
    for part in ctype.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"').lower()
    if charset not in ("utf-8", "utf8", "us-ascii", "ascii"):
        raise UnsupportedMediaType(f"charset {charset!r} is not supported: send UTF-8")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInput(f"the request body is not valid UTF-8 ({exc})") from None


def _base(request: Request) -> str:
    """The endpoint's own URL, the base IRI of relative IRIs in queries.

    ``request.url_for`` searches every route by name on each call; the path is fixed, so it is
    looked up once per app and only the scheme and host come from the request.
    """
    state = request.app.state
    path = getattr(state, "sparql_path", None)
    if path is None:
        path = state.sparql_path = request.app.url_path_for("sparql_get")
    return str(request.base_url).rstrip("/") + str(path)


async def _query(request: Request, text: str, default: list[str], named: list[str], fmt: str | None) -> Response:
    _check_service(request, text)
    accept = request.headers.get("accept")
    settings = request.app.state.settings
    job = QueryJob(query=text, default_graph_uris=default, named_graph_uris=named,
                   select_format=select_format(accept, fmt if fmt in (None, "json", "xml", "csv", "tsv") else None),
                   graph_format=graph_format(accept, fmt if fmt not in ("json", "xml", "csv", "tsv") else None
                                             ).media_type,
                   max_rows=settings.max_result_rows, base_iri=_base(request))
    head, body = await executor(request).run_async(job)
    if isinstance(body, bytes):  # the whole answer is here already
        return Response(body, media_type=head["media_type"], headers={"Vary": "Accept"})
    return StreamingResponse(iterate_in_threadpool(body), media_type=head["media_type"],
                             headers={"Vary": "Accept"})



async def _update(request: Request, text: str, using: list[str], using_named: list[str]) -> Response:
    token = require_scope(request, "write")
    store = request.app.state.store
    settings = request.app.state.settings
    for name in update_targets(store, text).values():
        check_owner(request, token, name)
    if (using or using_named) and re.search(r"(?i)\b(WITH|USING)\b", re.sub(r'"[^"\n]*"|<[^>]*>|#[^\n]*', " ", text)):
        raise BadInput("using-graph-uri/using-named-graph-uri cannot be combined with WITH or USING in the update")
    result = await run_in_threadpool(run_update, store, text, user=token.name, validate=settings.validate_on_load,
                                     using_graph_uris=using or None, using_named_graph_uris=using_named or None,
                                     base_iri=_base(request))
    ops = request.app.state.ops
    for name in result.sources:
        claim(request, token, name)
        ops.audit(token.name, "sparql-update", source=name,
                  triples=result.added.get(name, 0) + result.removed.get(name, 0),
                  detail={"added": result.added.get(name, 0), "removed": result.removed.get(name, 0)})
    return Response(status_code=204)




@router.get("/sparql", summary="SPARQL 1.1 query (GET ?query=); a bare GET returns the service description")
async def sparql_get(request: Request) -> Response:
    params = request.query_params
    queries = params.getlist("query")
    if "update" in params:
        raise BadInput("SPARQL Update must be sent with POST")
    if len(queries) > 1:
        raise BadInput("give exactly one query parameter")
    if not queries:
        from .pages import wants_editor

        if wants_editor(request):  # a person in a browser gets the query editor
            from fastapi.responses import RedirectResponse

            return RedirectResponse("/query", status_code=303)
        fmt = graph_format(request.headers.get("accept"), params.get("format"))
        return Response(service_description(str(request.url_for("sparql_get")), fmt), media_type=fmt.media_type)
    return await _query(request, queries[0], params.getlist("default-graph-uri"), params.getlist("named-graph-uri"),
                        params.get("format"))


@router.post("/sparql", summary="SPARQL 1.1 query or update by POST (form, sparql-query or sparql-update body)")
async def sparql_post(request: Request) -> Response:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    params = request.query_params
    default = params.getlist("default-graph-uri")
    named = params.getlist("named-graph-uri")
    fmt = params.get("format")
    if ctype == "application/sparql-query":
        return await _query(request, _decode(request, await request.body()), default, named, fmt)
    if ctype == "application/sparql-update":
        return await _update(request, _decode(request, await request.body()), params.getlist("using-graph-uri"),
                             params.getlist("using-named-graph-uri"))
    if ctype == "application/x-www-form-urlencoded":
        form = await request.form()
        queries, updates = form.getlist("query"), form.getlist("update")
        if len(queries) + len(updates) != 1:
            raise BadInput("send exactly one 'query' or one 'update' field")
        if updates:
            return await _update(request, str(updates[0]), [str(v) for v in form.getlist("using-graph-uri")],
                                 [str(v) for v in form.getlist("using-named-graph-uri")])
        default = default + [str(v) for v in form.getlist("default-graph-uri")]
        named = named + [str(v) for v in form.getlist("named-graph-uri")]
        fmt = fmt or (str(form["format"]) if "format" in form else None)
        return await _query(request, str(queries[0]), default, named, fmt)
    raise UnsupportedMediaType(f"unsupported content type {ctype!r}: use application/sparql-query, "
                               "application/sparql-update or application/x-www-form-urlencoded")


# -- Graph Store Protocol -----------------------------------------------------------------------
_QUAD_FORMATS = (ox.RdfFormat.TRIG, ox.RdfFormat.N_QUADS)


def _etag(info: Any) -> str:
    return f'"{info.name}-{info.current.number}"'


def _target(request: Request) -> str | None:
    direct = request.scope.get("agora_graph")
    if direct is not None:
        return str(direct)
    params = request.query_params
    if "graph" in params and "default" in params:
        raise BadInput("give either ?graph= or ?default, not both")
    if "graph" in params:
        return params["graph"]
    if "default" in params:
        return None
    raise BadInput("name a graph with ?graph=NAME|IRI, or ?default for the union of all sources")


def _check_preconditions(request: Request, info: Any | None) -> None:
    if_match = request.headers.get("if-match")
    if_none = request.headers.get("if-none-match")
    current = _etag(info) if info is not None else None
    if if_match is not None and (current is None or (if_match.strip() != "*" and current not in if_match)):
        raise PreconditionFailed("the graph changed since you read it (If-Match does not match its ETag)",
                                 etag=current)
    if if_none is not None and current is not None and (if_none.strip() == "*" or current in if_none):
        raise PreconditionFailed("the graph already exists (If-None-Match)", etag=current)


@router.get("/store", summary="Graph Store Protocol: read a source graph or the union")
def store_get(request: Request) -> Response:
    store = request.app.state.store
    fmt = graph_format(request.headers.get("accept"), request.query_params.get("format"))
    target = _target(request)
    if target is None:
        triples: list[Any] = []
        for info in store.sources():
            triples.extend(store.exact_triples(info))
        body = serialize_triples(iter(triples), fmt)
        return Response(b"" if request.method == "HEAD" else body, media_type=fmt.media_type)
    info = store.get(target)
    if info is None:
        raise SourceNotFound(f"no graph {target!r}")
    if_none = request.headers.get("if-none-match")
    if if_none and _etag(info) in if_none:
        return Response(status_code=304, headers={"ETag": _etag(info)})
    body = serialize_triples(store.exact_triples(info), fmt,
                             graph=ox.NamedNode(info.graph_iri) if fmt in _QUAD_FORMATS else None)
    return Response(b"" if request.method == "HEAD" else body, media_type=fmt.media_type,
                    headers={"ETag": _etag(info), "Vary": "Accept"})


# HEAD is the same operation as GET: registered apart (and left out of the OpenAPI document), since
# one route with both methods gives both the same operationId, which OpenAPI client generators refuse.
router.add_api_route("/store", store_get, methods=["HEAD"], include_in_schema=False)


async def _body_docs(request: Request) -> list[RDFInput]:
    """The RDF of a Graph Store write: the raw body, or every file of a multipart/form-data upload."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "multipart/form-data":
        return [await _body_doc(request)]
    from agora.kg.rdfio import guess_format

    form = await request.form()
    docs = []
    for _key, value in form.multi_items():
        if isinstance(value, str):
            continue
        data = await value.read()
        part_type = (value.content_type or "").split(";")[0].strip()
        try:
            fmt = parse_format(part_type) if part_type and part_type != "application/octet-stream" else \
                guess_format(value.filename or "")
        except BadInput as exc:
            raise UnsupportedMediaType(exc.message) from None
        docs.append(RDFInput.from_bytes(data, name=value.filename or "upload", fmt=fmt))
    if not docs:
        raise BadInput("the multipart request has no file part")
    return docs


async def _body_doc(request: Request) -> RDFInput:
    settings = request.app.state.settings
    body = await request.body()
    if len(body) > settings.max_body_bytes:
        raise BadInput(f"request body larger than the limit of {settings.max_body_bytes} bytes", status=413)
    ctype = request.headers.get("content-type", "").split(";")[0].strip()
    if not ctype:
        raise UnsupportedMediaType("send the RDF syntax as Content-Type (text/turtle, application/n-triples, ...)")
    try:
        fmt = parse_format(ctype)
    except BadInput as exc:
        raise UnsupportedMediaType(exc.message) from None
    return RDFInput.from_bytes(body, name="request body", fmt=fmt)


def _name_for(request: Request, target: str) -> tuple[str, str]:
    store = request.app.state.store
    info = store.get(target)
    if info is not None:
        return info.name, info.graph_iri
    if ":" not in target:
        return target, store.graph_iri_for(target)
    return source_name_for(store, target), target


@router.put("/store", summary="Graph Store Protocol: create or replace a source graph (validated, atomic)")
async def store_put(request: Request) -> Response:
    token = require_scope(request, "write")
    target = _target(request)
    if target is None:
        raise BadInput("the default graph is the read-only union of all sources: PUT a named graph (?graph=)")
    store = request.app.state.store
    name, iri = _name_for(request, target)
    check_owner(request, token, name)
    docs = await _body_docs(request)
    existing = store.get(name)
    _check_preconditions(request, existing)
    result = await run_in_threadpool(load_documents, store, docs, name=name, replace=True,
                                     validate=request.app.state.settings.validate_on_load, user=token.name,
                                     origin="Graph Store PUT", graph_iri=iri)
    ops = request.app.state.ops
    claim(request, token, name)
    ops.audit(token.name, "gsp-put", source=name, triples=result.triples)
    return Response(status_code=201 if existing is None else 204, headers={"ETag": _etag(result.source)})


@router.post("/store", summary="Graph Store Protocol: add triples to a source graph (validated, atomic)")
async def store_post(request: Request) -> Response:
    token = require_scope(request, "write")
    store = request.app.state.store
    params = request.query_params
    location = None
    if "graph" not in params and "default" not in params and "agora_graph" not in request.scope:
        # POST to the store itself creates a new graph, named by the server (GSP section 5.5).
        name = "g-" + uuid.uuid4().hex[:12]
        iri = store.graph_iri_for(name)
        location = iri
    else:
        target = _target(request)
        if target is None:
            raise BadInput("the default graph is the read-only union of all sources: POST to a named graph (?graph=)")
        name, iri = _name_for(request, target)
    check_owner(request, token, name)
    docs = await _body_docs(request)
    existing = store.get(name)
    _check_preconditions(request, existing)
    from agora.kg.merge import merge_into

    info = await run_in_threadpool(merge_into, store, name, iri, docs, user=token.name,
                                   validate=request.app.state.settings.validate_on_load)
    ops = request.app.state.ops
    claim(request, token, name)
    ops.audit(token.name, "gsp-post", source=name, triples=info.current.triples)
    headers = {"ETag": _etag(info)}
    if location is not None:
        headers["Location"] = location
    return Response(status_code=201 if existing is None else 204, headers=headers)


@router.delete("/store", summary="Graph Store Protocol: delete a source graph")
def store_delete(request: Request) -> Response:
    token = require_scope(request, "write")
    target = _target(request)
    if target is None:
        raise BadInput("the default graph is the read-only union of all sources and cannot be deleted")
    store = request.app.state.store
    info = store.get(target)
    if info is None:
        raise SourceNotFound(f"no graph {target!r}")
    check_owner(request, token, info.name)
    _check_preconditions(request, info)
    delete_source(store, info.name)
    request.app.state.ops.drop_owner(info.name)
    request.app.state.ops.audit(token.name, "gsp-delete", source=info.name, triples=info.current.triples)
    return Response(status_code=204)




def _direct(request: Request, name: str) -> None:
    request.scope["agora_graph"] = f"{request.app.state.settings.base_url}/graph/{name}"


@router.get("/graph/{name}", summary="Graph Store Protocol, direct identification")
def graph_get(name: str, request: Request) -> Response:
    _direct(request, name)
    return store_get(request)


router.add_api_route("/graph/{name}", graph_get, methods=["HEAD"], include_in_schema=False)


@router.put("/graph/{name}", summary="Graph Store Protocol PUT, direct identification")
async def graph_put(name: str, request: Request) -> Response:
    _direct(request, name)
    return await store_put(request)


@router.post("/graph/{name}", summary="Graph Store Protocol POST, direct identification")
async def graph_post(name: str, request: Request) -> Response:
    _direct(request, name)
    return await store_post(request)


@router.delete("/graph/{name}", summary="Graph Store Protocol DELETE, direct identification")
def graph_delete(name: str, request: Request) -> Response:
    _direct(request, name)
    return store_delete(request)
