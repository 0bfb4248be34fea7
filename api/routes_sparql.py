"""SPARQL 1.1 Protocol (/sparql) and Graph Store Protocol reads (/store)."""

from __future__ import annotations

from typing import Annotated, Any

import pyoxigraph as ox
from agora.kg.errors import BadInput
from agora.kg.query import QueryOutcome, run_query
from agora.kg.rdfio import serialize_triples
from agora.kg.results import SELECT_MEDIA_TYPES, SELECT_WRITERS, ask_text
from agora.kg.service_description import service_description
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from .negotiation import graph_format, select_format

router = APIRouter(tags=["sparql"])


def _respond(outcome: QueryOutcome, request: Request, fmt_param: str | None) -> Response:
    accept = request.headers.get("accept")
    if outcome.kind == "graph":
        fmt = graph_format(accept, fmt_param)
        assert outcome.triples is not None
        return Response(serialize_triples(outcome.triples, fmt), media_type=fmt.media_type)
    fmt_name = select_format(accept, fmt_param)
    if outcome.kind == "ask":
        return Response(ask_text(bool(outcome.boolean), fmt_name), media_type=SELECT_MEDIA_TYPES[fmt_name])
    assert outcome.rows is not None
    return StreamingResponse(SELECT_WRITERS[fmt_name](outcome.variables, outcome.rows),
                             media_type=SELECT_MEDIA_TYPES[fmt_name])


async def _query(request: Request, text: str, default: list[str], named: list[str], fmt: str | None) -> Response:
    store = request.app.state.store
    outcome = await run_in_threadpool(run_query, store, text, default_graph_uris=default or None,
                                      named_graph_uris=named or None)
    return _respond(outcome, request, fmt)


@router.get("/sparql", summary="SPARQL 1.1 query (GET ?query=); bare GET returns the service description")
async def sparql_get(
    request: Request,
    query: str | None = None,
    default_graph_uri: Annotated[list[str], Query(alias="default-graph-uri")] = [],  # noqa: B006
    named_graph_uri: Annotated[list[str], Query(alias="named-graph-uri")] = [],  # noqa: B006
    format: str | None = None,
) -> Response:
    if query is None:
        fmt = graph_format(request.headers.get("accept"), format)
        return Response(service_description(str(request.url_for("sparql_get")), fmt), media_type=fmt.media_type)
    return await _query(request, query, default_graph_uri, named_graph_uri, format)


@router.post("/sparql", summary="SPARQL 1.1 query by POST (form or application/sparql-query)")
async def sparql_post(request: Request) -> Response:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    params = request.query_params
    default = params.getlist("default-graph-uri")
    named = params.getlist("named-graph-uri")
    fmt = params.get("format")
    if ctype == "application/sparql-query":
        text = (await request.body()).decode("utf-8")
    elif ctype == "application/x-www-form-urlencoded":
        form = await request.form()
        if "update" in form:
            raise BadInput("SPARQL Update is not enabled on this endpoint yet")
        if "query" not in form:
            raise BadInput("the form has no 'query' field")
        text = str(form["query"])
        default = default + [str(v) for v in form.getlist("default-graph-uri")]
        named = named + [str(v) for v in form.getlist("named-graph-uri")]
        fmt = fmt or (str(form["format"]) if "format" in form else None)
    else:
        raise BadInput(f"unsupported content type {ctype!r}: use application/sparql-query or a form",
                       status=415)
    return await _query(request, text, default, named, fmt)


@router.get("/store", summary="Graph Store Protocol: read a source graph (?graph=NAME|IRI) or the union (?default)")
def store_get(request: Request, graph: str | None = None, format: str | None = None) -> Response:
    store = request.app.state.store
    fmt = graph_format(request.headers.get("accept"), format)
    if graph is None:
        if "default" not in request.query_params:
            raise BadInput("name a graph with ?graph=NAME|IRI or ask for the union with ?default")
        triples: list[Any] = []
        for info in store.sources():
            triples.extend(store.exact_triples(info))
        return Response(serialize_triples(iter(triples), fmt), media_type=fmt.media_type)
    info = store.require(graph)
    return Response(serialize_triples(store.exact_triples(info), fmt, graph=ox.NamedNode(info.graph_iri)),
                    media_type=fmt.media_type, headers={"ETag": f'"{info.name}-{info.current.number}"'})
