"""`agora search` and `agora reindex`.

Like the other commands, they run against the running server when there is one (it holds the
store and the index), and on the data directory directly otherwise. Register at top level with
`app.add_typer(search_app)`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from agora.kg.config import load_settings
from agora.kg.errors import AgoraError

search_app = typer.Typer(add_completion=False, rich_markup_mode="markdown")
out = Console()
err = Console(stderr=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", "-d", envvar="AGORA_DATA_DIR",
                                               help="Data directory (default ./agora-data).")]


def _fail(exc: AgoraError) -> None:
    err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
    raise typer.Exit(exc.exit_code)


@search_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words in any language (empty: browse by facets).")] = "",
    facet: Annotated[list[str] | None, typer.Option("--facet", help="Facet to count: sector, theme, concept, "
                                                                     "publisher, city, country, format, licence, "
                                                                     "type, source (repeatable).")] = None,
    filter: Annotated[list[str] | None, typer.Option("--filter", "-F", help="facet=value, e.g. sector=mobility "
                                                                            "(repeatable).")] = None,
    type: Annotated[list[str] | None, typer.Option("--type", "-t", help="Result type: dataset, service, "
                                                                        "stakeholder, usecase, concept...")] = None,
    no_expand: Annotated[bool, typer.Option("--no-expand", help="No semantic expansion (plain text search).")] = False,
    size: Annotated[int, typer.Option("--size", "-n", help="Results per page.")] = 10,
    page: Annotated[int, typer.Option("--page", help="Page number.")] = 1,
    bbox: Annotated[str | None, typer.Option(help="min_lon,min_lat,max_lon,max_lat")] = None,
    near: Annotated[str | None, typer.Option(help="lat,lon[,km]")] = None,
    within: Annotated[str | None, typer.Option(help="A place (IRI or name).")] = None,
    since: Annotated[str | None, typer.Option(help="Modified on or after this date.")] = None,
    period: Annotated[str | None, typer.Option(help="Coverage overlaps start/end, e.g. 2020/2022.")] = None,
    lang: Annotated[str | None, typer.Option(help="Preferred language for titles.")] = None,
    like: Annotated[str | None, typer.Option("--like", help="More like this dataset (IRI) instead of a query.")] = None,
    usecases: Annotated[str | None, typer.Option("--usecases", help="Use cases that use this dataset (IRI).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON the HTTP API returns.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Search the catalog across languages, cities and sectors.

    Example: `agora search "traffic counts" --facet sector --filter country=DNK`
    """
    params: dict[str, Any] = {"q": query, "expand": str(not no_expand).lower(), "size": size, "page": page,
                              "filter": filter or [], "type": type or []}
    if facet is not None:
        params["facet"] = facet
    for name, value in (("bbox", bbox), ("near", near), ("within", within), ("since", since), ("period", period),
                        ("lang", lang)):
        if value:
            params[name] = value
    try:
        result = _run(load_settings(data_dir), params, like=like, usecases=usecases, size=size, lang=lang)
    except AgoraError as exc:
        _fail(exc)
        return
    if as_json:
        sys.stdout.write(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
        return
    _print(result)


def _run(settings: Any, params: dict[str, Any], *, like: str | None, usecases: str | None, size: int,
         lang: str | None) -> dict[str, Any]:
    from .backend import running_server

    url = running_server(settings)
    if url is not None:
        import httpx

        if like:
            path, query = "/api/search/similar", {"iri": like, "size": size, **({"lang": lang} if lang else {})}
        elif usecases:
            path, query = "/api/search/usecases", {"iri": usecases, **({"lang": lang} if lang else {})}
        else:
            path, query = "/api/search", params
        r = httpx.get(url.rstrip("/") + path, params=query, timeout=60)
        if r.status_code >= 400:
            from agora.kg.errors import BadInput

            raise BadInput(str(r.json().get("message", r.text)))
        return dict(r.json())
    from agora.kg.search.params import parse_facets, parse_filters, parse_period, parse_when, read_bbox, read_near
    from agora.kg.search.results import SearchRequest
    from agora.kg.search.service import SearchService
    from agora.kg.store import AgoraStore

    store = AgoraStore(settings)
    try:
        service = SearchService.attach(store)
        if like:
            return service.similar(like, size=size, lang=lang).to_dict()
        if usecases:
            return service.use_cases(usecases, lang=lang).to_dict()
        req = SearchRequest(
            q=params["q"], filters=parse_filters(params["filter"]),
            facets=parse_facets(params["facet"]) if "facet" in params else None,
            expand=params["expand"] == "true", page=params["page"], size=params["size"],
            types=[t for item in params["type"] for t in item.split(",") if t] or None,
            bbox=read_bbox(params.get("bbox")), near=read_near(params.get("near")), within=params.get("within"),
            since=parse_when(params["since"], what="since") if params.get("since") else None,
            period=parse_period(params["period"]) if params.get("period") else None, lang=lang)
        return service.search(req).to_dict()
    finally:
        store.close()


def _print(result: dict[str, Any]) -> None:
    for warning in result.get("warnings", []):
        err.print(f"[yellow]note:[/] {warning}", highlight=False)
    total = result["total"]
    first = (result["page"] - 1) * result["size"]
    out.print(f"{total:,} result{'s' if total != 1 else ''} ({result['took_ms']} ms)", highlight=False)
    if result["results"]:
        table = Table("#", "type", "title", "why", "iri", show_lines=False)
        for i, hit in enumerate(result["results"], start=first + 1):
            table.add_row(str(i), hit["type"], hit["title"], _why(hit["why"]), hit["iri"])
        out.print(table)
    for name, values in result.get("facets", {}).items():
        if values:
            shown = ", ".join(f"{v['label']} ({v['count']})" for v in values[:8])
            out.print(f"[bold]{name}[/]: {shown}", highlight=False)


def _why(reasons: list[dict[str, Any]]) -> str:
    parts = []
    for r in reasons[:3]:
        if r["kind"] == "text":
            parts.append("text: " + (", ".join(r["terms"]) or "publisher or place names"))
        elif r["kind"] in ("concept", "similar"):
            parts.append(f"{r['kind']}: {r['concept_label'] or r['concept']}")
        elif r["kind"] in ("mapping", "feedback"):
            via = " → ".join(s["label"] or s["concept"] for s in r["via"])
            parts.append(f"{r['kind']}: {r['matched']} → {via}" if via else f"{r['kind']}: {r['concept_label']}")
        elif r["kind"] == "uses":
            parts.append("uses it")
    return "; ".join(parts)


@search_app.command("reindex")
def reindex(
    data_dir: DataDir = None,
    token: Annotated[str | None, typer.Option("--token", envvar="AGORA_TOKEN",
                                              help="Admin token, when a server is running.")] = None,
) -> None:
    """Rebuild the search index from the store (it is kept in sync automatically; use after a crash or
    an upgrade, or to reclaim space).

    Example: `agora reindex`
    """
    from .backend import running_server

    try:
        settings = load_settings(data_dir)
        url = running_server(settings)
        if url is not None:
            from .backend import RemoteBackend

            backend = RemoteBackend(url, token)
            result = backend._check(backend.client.post("/api/search/reindex")).json()
            backend.close()
        else:
            from agora.kg.search.indexer import SearchIndex
            from agora.kg.search.service import SearchService
            from agora.kg.store import AgoraStore

            store = AgoraStore(settings)
            try:
                stats = SearchService(store, SearchIndex.open(store, repair=False)).reindex()
            finally:
                store.close()
            result = {"documents": stats.documents, "sources": stats.sources, "seconds": round(stats.seconds, 3)}
    except AgoraError as exc:
        _fail(exc)
        return
    out.print(f"search index rebuilt: {result['documents']:,} documents from {len(result['sources'])} sources "
              f"in {result['seconds']} s", highlight=False)
