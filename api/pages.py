"""Web pages for people: resources, IRI dereferencing, validation, the SPARQL editor, sources.

Every page is rendered on the server and works without JavaScript; the little JavaScript there is
(the editor's highlighting and in-page results, the curator's uploads) only improves on that. The
same URLs answer machines: `/resource` and `/id/...` return RDF by content negotiation, and
`/validate` returns JSON, Turtle or JUnit reports, so a link a person shares is also data.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from markupsafe import Markup, escape
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from agora.kg.errors import AgoraError, BadInput, RDFSyntaxError
from agora.kg.executor import QueryJob
from agora.kg.namespaces import PREFIXES
from agora.kg.rdfio import FORMAT_NAMES, RDFInput, guess_format, parse_format, serialize_triples
from agora.kg.report_formats import render_report, report_json
from agora.kg.resources_view import LANGUAGES, Flow, build_view, description_triples, is_known
from agora.kg.validation import DEFAULT_PROFILE, validate_documents

from .negotiation import GRAPH_BY_MEDIA, _accepted, wants_html
from .page_base import LANG_COOKIE, chosen_lang, render, resource_href, templates  # noqa: F401 (re-exported)

router = APIRouter(tags=["pages"])


def _local_next(target: str) -> str:
    """Only same-site paths, so /lang cannot be used as an open redirect."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    query = "&".join(p for p in parts.query.split("&") if p and not p.startswith("lang="))
    return parts.path + (f"?{query}" if query else "")


@router.get("/lang", include_in_schema=False)
def set_language(code: Annotated[str, Query(alias="set")] = "en",
                 back: Annotated[str, Query(alias="next")] = "/") -> Response:
    """The language switch: remember the choice in a cookie and go back where the reader was."""
    response = RedirectResponse(_local_next(back), status_code=303)
    if code in LANGUAGES:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="lax")
    return response


# -- resources ----------------------------------------------------------------------------------------
RDF_BY_NAME = {"ttl": ox.RdfFormat.TURTLE, "turtle": ox.RdfFormat.TURTLE, "jsonld": ox.RdfFormat.JSON_LD,
               "json-ld": ox.RdfFormat.JSON_LD, "rdf": ox.RdfFormat.RDF_XML, "xml": ox.RdfFormat.RDF_XML,
               "rdfxml": ox.RdfFormat.RDF_XML, "nt": ox.RdfFormat.N_TRIPLES, "ntriples": ox.RdfFormat.N_TRIPLES}
SUFFIXES = {".ttl": ox.RdfFormat.TURTLE, ".jsonld": ox.RdfFormat.JSON_LD, ".rdf": ox.RdfFormat.RDF_XML,
            ".nt": ox.RdfFormat.N_TRIPLES}


def _one_graph(fmt: ox.RdfFormat) -> bool:
    """JSON-LD can hold datasets but writes a single graph just as well; TriG and N-Quads are not wanted here."""
    return fmt is ox.RdfFormat.JSON_LD or not fmt.supports_datasets


def resource_format(request: Request, explicit: str | None) -> ox.RdfFormat | None:
    """The RDF syntax to answer in, or None for the HTML page."""
    if explicit:
        key = explicit.lower()
        if key == "html":
            return None
        fmt = RDF_BY_NAME.get(key) or parse_format(key)
        if not _one_graph(fmt):
            raise BadInput(f"format {explicit!r} is a dataset syntax; a resource description is one graph "
                           "(use ttl, jsonld, rdf or nt)")
        return fmt
    accept = request.headers.get("accept")
    if wants_html(accept):
        return None
    for media in _accepted(accept or ""):
        fmt = GRAPH_BY_MEDIA.get(media)
        if fmt is not None and _one_graph(fmt):
            return fmt
        if media == "application/json":
            return ox.RdfFormat.JSON_LD
    return ox.RdfFormat.TURTLE


def _check_iri(iri: str) -> str:
    try:
        return ox.NamedNode(iri.strip()).value
    except ValueError:
        raise BadInput(f"{iri!r} is not an absolute IRI") from None


def rdf_description(store: Any, iri: str, fmt: ox.RdfFormat) -> bytes | None:
    """The resource's statements as loaded (None when unknown); a source graph's IRI gives the whole source."""
    triples = description_triples(store, iri)
    if not triples:
        info = store.get(iri)
        if info is not None:
            return store.export(info.name, fmt)
        if not is_known(store, iri):
            return None
    return serialize_triples(iter(triples), fmt, prefixes=PREFIXES)


async def serve_resource(request: Request, iri: str, fmt: ox.RdfFormat | None) -> Response:
    store = request.app.state.store
    iri = _check_iri(iri)
    if fmt is not None:
        body = await run_in_threadpool(rdf_description, store, iri, fmt)
        if body is None:
            return JSONResponse({"error": "NotFound", "message": f"nothing is known about <{iri}>"},
                                status_code=404, headers={"Vary": "Accept"})
        return Response(body, media_type=fmt.media_type, headers={"Vary": "Accept"})
    lang = chosen_lang(request)
    view = await run_in_threadpool(build_view, store, iri, lang)
    if view is None:
        return render(request, "not_found.html", {"iri": iri}, status=404, headers={"Vary": "Accept"})
    diagram = None
    decisions: list[dict[str, Any]] = []
    if "usecase" in view.sections and view.sections["usecase"]["flows"]:
        diagram = flow_svg(view.sections["usecase"]["flows"])
        decisions = await run_in_threadpool(_flow_decisions, store, iri, view)
    alternates = {name: f"{resource_href(iri)}&format={key}" for key, name in
                  (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("rdf", "RDF/XML"), ("nt", "N-Triples"))}
    return render(request, "resource.html", {"view": view, "diagram": diagram, "alternates": alternates,
                                             "decisions": decisions}, headers={"Vary": "Accept"})


def _flow_decisions(store: Any, iri: str, view: Any) -> list[dict[str, Any]]:
    """The policy engine's decision for each data flow of a use case, with labels for people."""
    from agora.kg.policy import use_case_flows

    labels: dict[str, str] = {}
    for f in view.sections["usecase"]["flows"]:
        for t in (f.dataset, f.recipient, f.provider, f.policy):
            if t is not None:
                labels[t.value] = t.label
    rows = []
    for flow in use_case_flows(store, iri):
        def named(term: Any) -> dict[str, str]:
            value = getattr(term, "value", None) or (str(term) if term is not None else "")
            return {"iri": value, "label": labels.get(value, value)}

        rows.append({"dataset": named(flow["dataset"]), "recipient": named(flow["recipient"]),
                     "decision": flow["decision"], "summary": flow.get("summary", ""),
                     "duties": flow.get("duties", []),
                     "policies": [named(p) for p in (x.get("policy") for x in flow.get("decided_by", [])) if p]})
    return rows


@router.get("/resource", summary="Any stored resource: an HTML page, or its description in RDF by negotiation")
async def resource(request: Request, iri: str | None = None, format: str | None = None) -> Response:
    if not iri:
        return render(request, "resource_form.html", {})
    try:
        return await serve_resource(request, iri, resource_format(request, format))
    except BadInput as exc:
        return _error(request, exc)


@router.get("/id/{path:path}", summary="Dereference an IRI minted under this deployment's base URL")
async def dereference(request: Request, path: str, format: str | None = None) -> Response:
    """`{base_url}/id/X` is served here; `X.ttl`, `X.jsonld`, `X.rdf`, `X.nt` pick the syntax."""
    store = request.app.state.store
    base = request.app.state.settings.base_url
    try:
        iri = _check_iri(f"{base}/id/{path}")
        fmt = resource_format(request, format)
        if not is_known(store, iri):
            for suffix, suffix_fmt in SUFFIXES.items():
                if path.endswith(suffix) and is_known(store, iri[: -len(suffix)]):
                    iri, fmt = iri[: -len(suffix)], suffix_fmt
                    break
        return await serve_resource(request, iri, fmt)
    except BadInput as exc:
        return _error(request, exc)


def _error(request: Request, exc: AgoraError) -> Response:
    if wants_html(request.headers.get("accept")):
        return render(request, "error.html", {"error": exc}, status=exc.http_status)
    return JSONResponse(exc.to_dict(), status_code=exc.http_status)


# -- the data-flow diagram ----------------------------------------------------------------------------
def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def flow_svg(flows: list[Flow], width: int = 760) -> Markup:
    """Providers in a column on the left, recipients on the right, one labelled arrow per flow.

    Drawn on the server so the diagram is there without JavaScript and in screenshots. A party
    that both provides and receives appears on both sides, so every arrow runs left to right
    and the labels have the wide middle band to themselves; labels are nudged along their arrow
    until they no longer overlap one another.
    """
    edges = [f for f in flows if f.provider is not None and f.recipient is not None]
    if not edges:
        return Markup("")
    left: dict[str, Any] = {}
    for f in edges:
        left.setdefault(f.provider.value, f.provider)  # type: ignore[union-attr]
    left_row = {iri: i for i, iri in enumerate(left)}
    targets: dict[str, list[int]] = {}
    right: dict[str, Any] = {}
    for f in edges:
        right.setdefault(f.recipient.value, f.recipient)  # type: ignore[union-attr]
        targets.setdefault(f.recipient.value, []).append(left_row[f.provider.value])  # type: ignore[union-attr]
    # barycentre ordering: each recipient sits level with the providers that feed it (fewer crossings)
    right = dict(sorted(right.items(), key=lambda kv: sum(targets[kv[0]]) / len(targets[kv[0]])))
    step, top = 64, 34
    height = top * 2 + step * (max(len(left), len(right)) - 1) + 10

    def column(items: dict[str, Any], x: float) -> dict[str, tuple[float, float, float]]:
        offset = (height - step * (len(items) - 1)) / 2
        return {iri: (x, offset + step * i, min(110.0, 12 + 3.9 * len(_short(t.label, 26))))
                for i, (iri, t) in enumerate(items.items())}

    lpos, rpos = column(left, 115), column(right, width - 115)
    # role=group, not img: the participants and datasets in it are links (an img's content is not reachable)
    out = [f'<svg class="flows" viewBox="0 0 {width} {height}" role="group" aria-labelledby="flows-t" '
           'aria-describedby="flows-d" xmlns="http://www.w3.org/2000/svg">',
           '<title id="flows-t">Data flows between the participants</title>',
           f'<desc id="flows-d">{len(edges)} data flow(s): providers on the left, recipients on the right. The '
           'table above lists them with their policies and purposes.</desc>',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="currentColor"/></marker></defs>']
    pair_count: dict[tuple[str, str], int] = {}
    for f in edges:
        key = (f.provider.value, f.recipient.value)  # type: ignore[union-attr]
        pair_count[key] = pair_count.get(key, 0) + 1
    pair_seen: dict[tuple[str, str], int] = {}
    placed: list[tuple[float, float, float, float]] = []
    labels = []
    for f in edges:
        key = (f.provider.value, f.recipient.value)  # type: ignore[union-attr]
        k = pair_seen.get(key, 0)
        pair_seen[key] = k + 1
        ax, ay, ahw = lpos[key[0]]
        bx, by, bhw = rpos[key[1]]
        sx, sy, ex, ey = ax + ahw + 2, ay, bx - bhw - 4, by
        bend = (k - (pair_count[key] - 1) / 2) * 34
        qx, qy = (sx + ex) / 2, (sy + ey) / 2 + bend * 2
        out.append(f'<path class="edge" d="M{sx:.1f},{sy:.1f} Q{qx:.1f},{qy:.1f} {ex:.1f},{ey:.1f}" fill="none" '
                   'stroke="currentColor" stroke-width="1.6" marker-end="url(#arrow)"/>')
        ds = f.dataset.label if f.dataset else "data"
        short = _short(ds, 40)
        w = 6.4 * len(short) + 6
        for t in (0.5, 0.38, 0.62, 0.3, 0.7, 0.45, 0.55):
            mx = (1 - t) ** 2 * sx + 2 * t * (1 - t) * qx + t * t * ex
            my = (1 - t) ** 2 * sy + 2 * t * (1 - t) * qy + t * t * ey
            box = (mx - w / 2, my - 13, mx + w / 2, my + 3)
            if not any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in placed):
                break
        placed.append(box)
        detail = "; ".join(x for x in (
            f"{f.provider.label} → {f.recipient.label}",  # type: ignore[union-attr]
            f"policy: {f.policy.label}" if f.policy else "", f"purpose: {f.purpose.label}" if f.purpose else "")
            if x)
        text = (f'<text x="{mx:.1f}" y="{my - 4:.1f}" text-anchor="middle" class="edge-label">'
                f'<title>{escape(ds)} ({escape(detail)})</title>{escape(short)}</text>')
        if f.dataset is not None and f.dataset.kind == "iri":
            text = f'<a href="{escape(resource_href(f.dataset.value))}">{text}</a>'
        labels.append(text)
    for pos, items in ((lpos, left), (rpos, right)):
        for iri, term in items.items():
            x, y, hw = pos[iri]
            out.append(f'<a href="{escape(resource_href(iri))}" class="node"><rect x="{x - hw:.1f}" y="{y - 19:.1f}" '
                       f'width="{2 * hw:.1f}" height="38" rx="8"/><text x="{x:.1f}" y="{y + 4.5:.1f}" '
                       f'text-anchor="middle"><title>{escape(term.label)}</title>{escape(_short(term.label, 26))}'
                       '</text></a>')
    out.extend(labels)
    out.append("</svg>")
    return Markup("".join(out))


# -- validation ---------------------------------------------------------------------------------------
REPORT_MEDIA = {"html": "text/html; charset=utf-8", "json": "application/json", "turtle": "text/turtle",
                "jsonld": "application/ld+json", "junit": "application/xml", "text": "text/plain; charset=utf-8"}
REPORT_ALIASES = {"ttl": "turtle", "json-ld": "jsonld", "xml": "junit"}
REPORT_BY_MEDIA = {"text/html": "html", "application/xhtml+xml": "html", "application/json": "json",
                   "text/turtle": "turtle", "application/ld+json": "jsonld", "application/xml": "junit",
                   "text/xml": "junit", "application/junit+xml": "junit", "text/plain": "text"}
INPUT_FORMATS = ["auto", *FORMAT_NAMES]


def report_format(request: Request, explicit: str | None) -> str:
    if explicit:
        key = REPORT_ALIASES.get(explicit.lower(), explicit.lower())
        if key not in REPORT_MEDIA:
            raise BadInput(f"unknown report format {explicit!r}; use one of {', '.join(REPORT_MEDIA)}")
        return key
    for media in _accepted(request.headers.get("accept") or ""):
        if media in REPORT_BY_MEDIA:
            return REPORT_BY_MEDIA[media]
    return "json"


def sniff_format(data: bytes) -> ox.RdfFormat:
    """Pasted text has no file name: tell JSON-LD and RDF/XML from Turtle by their first character."""
    head = data.lstrip()[:200]
    if head.startswith((b"{", b"[")):
        return ox.RdfFormat.JSON_LD
    if head.startswith(b"<?xml") or head.startswith(b"<rdf:RDF"):
        return ox.RdfFormat.RDF_XML
    return ox.RdfFormat.TURTLE


def profile_choices(data_dir: Path) -> list[tuple[str, str]]:
    """(name, description) of every profile a curator can pick: built-in, then registered ones."""
    from agora.kg.profiles import list_profiles

    return [(p.name, p.description) for p in list_profiles(data_dir)]


def _validate_context(request: Request, **extra: Any) -> dict[str, Any]:
    return {"profiles": profile_choices(request.app.state.settings.data_dir), "input_formats": INPUT_FORMATS,
            "default_profile": DEFAULT_PROFILE, "report_formats": ["html", "json", "turtle", "junit", "text"],
            **extra}


@router.get("/validate", summary="The validation page: upload or paste RDF and pick a profile")
def validate_page(request: Request) -> Response:
    return render(request, "validate.html", _validate_context(request, chosen={}))


async def _fetch_for_validation(request: Request, url: str) -> RDFInput:
    """Validation by URL: only hosts the operator allowed (no SSRF), with a size and time limit."""
    import httpx

    from agora.kg.netguard import check_url
    from agora.kg.rdfio import guess_format, parse_format

    settings = request.app.state.settings
    checked = check_url(url, settings.allow_hosts)
    try:
        async with httpx.AsyncClient(timeout=20, follow_redirects=False) as client:
            r = await client.get(checked.url, headers={"Accept": "text/turtle, application/ld+json;q=0.9, "
                                                                 "application/rdf+xml;q=0.8, */*;q=0.1"})
    except httpx.HTTPError as exc:
        raise BadInput(f"{url}: cannot fetch it ({exc})") from None
    if r.status_code != 200:
        raise BadInput(f"{url}: the server answered {r.status_code}")
    if len(r.content) > settings.max_body_bytes:
        raise BadInput(f"{url}: larger than the limit of {settings.max_body_bytes} bytes", status=413)
    ctype = r.headers.get("content-type", "").split(";")[0].strip()
    try:
        fmt = parse_format(ctype) if ctype and ctype not in ("text/plain", "application/octet-stream") \
            else guess_format(url)
    except BadInput:
        fmt = guess_format(url)
    return RDFInput.from_bytes(r.content, name=url, fmt=fmt)


async def _read_validation_input(request: Request) -> tuple[RDFInput, dict[str, str]]:
    """The document and options from a form (multipart or urlencoded) or a raw RDF body."""
    settings = request.app.state.settings
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    params = dict(request.query_params)
    if "url" in params:
        return await _fetch_for_validation(request, params["url"]), params
    if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form()
        chosen = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        opts = {**params, **{k: v for k, v in chosen.items() if v}}
        upload = form.get("file")
        data, name = b"", "pasted text"
        if upload is not None and not isinstance(upload, str) and getattr(upload, "filename", ""):
            data = await upload.read()
            name = upload.filename or "upload"
        if not data.strip():
            data, name = opts.get("text", "").encode("utf-8"), "pasted text"
        if not data.strip():
            raise BadInput("choose a file to upload or paste some RDF")
        wanted = opts.get("input_format", "auto")
        if wanted != "auto":
            fmt = parse_format(wanted)
        elif name != "pasted text":
            fmt = guess_format(name)
        else:
            fmt = sniff_format(data)
    else:
        data, name = await request.body(), "request body"
        if not data.strip():
            raise BadInput("send the RDF to validate as the request body, or a form with a file")
        opts = params
        fmt = parse_format(opts["input_format"]) if opts.get("input_format") else parse_format(ctype or "text/turtle")
    if len(data) > settings.max_body_bytes:
        raise BadInput(f"upload larger than the limit of {settings.max_body_bytes} bytes", status=413)
    return RDFInput.from_bytes(data, name=name, fmt=fmt), opts


def group_report(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Severity, then shape: which rules were broken, how often, and the focus nodes and values."""
    order = {"Violation": 0, "Warning": 1, "Info": 2}
    by_sev: dict[str, dict[tuple[str, str, str], list[dict[str, Any]]]] = {}
    for r in report["results"]:
        key = (r["sourceShape"] or "", r["path"] or "", r["message"] or "")
        by_sev.setdefault(r["severity"], {}).setdefault(key, []).append(r)
    out = []
    for sev in sorted(by_sev, key=lambda s: order.get(s, 3)):
        shapes = [{"shape": k[0], "path": k[1], "message": k[2], "results": v}
                  for k, v in sorted(by_sev[sev].items(), key=lambda kv: (-len(kv[1]), kv[0]))]
        out.append({"severity": sev, "count": sum(len(s["results"]) for s in shapes), "shapes": shapes})
    return out


def _data_uri(body: str | bytes, media: str) -> str:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    return f"data:{media.split(';')[0]};base64,{base64.b64encode(raw).decode('ascii')}"


def _excerpt(doc: RDFInput, line: int | None) -> list[tuple[int, str]]:
    if not line:
        return []
    lines = doc.data.decode("utf-8", "replace").splitlines()
    return [(i + 1, lines[i]) for i in range(max(0, line - 3), min(len(lines), line + 2))]


@router.post("/validate", summary="Validate RDF against a profile (multipart form or raw RDF body)")
async def validate_post(request: Request) -> Response:
    html = False
    doc: RDFInput | None = None
    opts: dict[str, str] = {}
    params = request.query_params
    if "graph" in params or "all" in params:
        return await _validate_stored(request)
    try:
        html = wants_html(request.headers.get("accept")) and "format" not in request.query_params
        doc, opts = await _read_validation_input(request)
        fmt = report_format(request, opts.get("format"))
        html = fmt == "html"
        profile = opts.get("profile") or DEFAULT_PROFILE
        report = await run_in_threadpool(validate_documents, [doc], profile=profile,
                                         data_dir=request.app.state.settings.data_dir)
    except AgoraError as exc:
        if not html:
            return JSONResponse(exc.to_dict(), status_code=exc.http_status)
        line = exc.details.get("line") if isinstance(exc, RDFSyntaxError) else None
        ctx = _validate_context(request, chosen=opts, error=exc, line=line, column=exc.details.get("column"),
                                excerpt=_excerpt(doc, line) if doc is not None else [])
        return render(request, "validate.html", ctx, status=exc.http_status)
    if fmt != "html":
        return Response(render_report(report, fmt), media_type=REPORT_MEDIA[fmt])
    data = report_json(report)
    downloads = {label: _data_uri(render_report(report, key), REPORT_MEDIA[key])
                 for key, label in (("json", "JSON"), ("turtle", "Turtle"), ("junit", "JUnit XML"), ("text", "Text"))}
    ctx = _validate_context(request, chosen=opts, report=data, groups=group_report(data), downloads=downloads,
                            document=doc.name, profile=profile)
    return render(request, "validate.html", ctx)


async def _validate_stored(request: Request) -> Response:
    """POST /validate?graph=NAME (or ?all): validate data already in the store, report as negotiated."""
    import pyoxigraph as ox

    from agora.kg.validation import validate_stored

    params = request.query_params
    fmt = report_format(request, params.get("format"))
    try:
        try:
            focus = [ox.NamedNode(f) for f in params.getlist("focus")] or None
        except ValueError as exc:  # not an IRI: the caller's mistake, not a server error
            raise BadInput(f"focus: not an absolute IRI ({exc})") from None
        report = await run_in_threadpool(validate_stored, request.app.state.store,
                                         None if "all" in params else params["graph"],
                                         profile=params.get("profile"), focus_nodes=focus)
    except AgoraError as exc:
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)
    if fmt == "html":
        fmt = "json" if not wants_html(request.headers.get("accept")) else fmt
    body = render_report(report, fmt)
    if fmt == "html":
        return HTMLResponse(body)
    return Response(body, media_type=REPORT_MEDIA[fmt])


@router.get("/search", summary="The search page: ranked results with why they matched, facets, pages")
def search_page(request: Request, q: str = "", page: int = 1) -> Response:
    from urllib.parse import urlencode

    from agora.kg.search.params import parse_filters
    from agora.kg.search.results import SearchRequest

    params = request.query_params
    filters = params.getlist("filter")
    expand = params.get("expand", "true") != "false"
    size = 20
    response = None
    if q or filters:
        try:
            req = SearchRequest(q=q, filters=parse_filters(filters), expand=expand, page=max(1, page), size=size,
                                lang=chosen_lang(request))
            response = request.app.state.search.search(req)
        except AgoraError as exc:
            return render(request, "error.html", {"error": exc}, status=exc.http_status)
    base = {"q": q} | ({} if expand else {"expand": "false"})
    base_href = "/search?" + urlencode(base)
    page_href = "/search?" + urlencode([*base.items(), *(("filter", f) for f in filters)])
    return render(request, "search.html", {"q": q, "filters": filters, "expand": expand, "response": response,
                                           "page": page, "size": size, "base_href": base_href,
                                           "page_href": page_href})


# -- the SPARQL editor --------------------------------------------------------------------------------
EDITOR_PREFIXES = ["rdf", "rdfs", "dcat", "dct", "foaf", "skos", "odrl", "agora"]
DEFAULT_QUERY = "".join(f"PREFIX {p}: <{PREFIXES[p]}>\n" for p in EDITOR_PREFIXES) + """
SELECT ?dataset ?title ?publisher WHERE {
  ?dataset a dcat:Dataset ;
           dct:title ?title ;
           dct:publisher ?publisher .
  FILTER(langMatches(lang(?title), "en"))
}
ORDER BY ?title
LIMIT 25
"""
UI_ROWS = 1000


def wants_editor(request: Request) -> bool:
    """True for a browser's bare GET /sparql: it should get the editor, not the service description.

    routes_sparql.sparql_get calls this before answering a GET without `query`.
    """
    params = request.query_params
    return (request.method == "GET" and not params.getlist("query") and "update" not in params
            and "format" not in params and wants_html(request.headers.get("accept")))


def _editor_context(query: str) -> dict[str, Any]:
    enc = quote(query, safe="")
    return {"query": query, "prefixes_json": json.dumps(PREFIXES),
            "downloads": {name: f"/sparql?query={enc}&format={fmt}" for name, fmt in
                          (("CSV", "csv"), ("TSV", "tsv"), ("JSON", "json"), ("Turtle (graphs)", "turtle"))}}


@router.get("/query", summary="The SPARQL editor page")
def query_page(request: Request, query: str | None = None) -> Response:
    return render(request, "query.html", _editor_context(query or DEFAULT_QUERY))


async def _run_ui_query(request: Request, query: str) -> dict[str, Any]:
    from .routes_sparql import _check_service, executor

    _check_service(request, query)
    job = QueryJob(query=query, select_format="json", graph_format="text/turtle", max_rows=UI_ROWS + 1)
    head, body = await run_in_threadpool(executor(request).run, job)
    raw = body if isinstance(body, bytes) else b"".join([c async for c in iterate_in_threadpool(body)])
    if not head["media_type"].startswith("application/sparql-results+json"):
        return {"graph": raw.decode("utf-8", "replace")}
    data = json.loads(raw)
    if "boolean" in data:
        return {"boolean": data["boolean"]}
    variables = data["head"]["vars"]
    rows = [[b.get(v) for v in variables] for b in data["results"]["bindings"]]
    return {"variables": variables, "rows": rows[:UI_ROWS], "truncated": len(rows) > UI_ROWS}


@router.get("/sparql-ui", summary="The SPARQL editor with results rendered on the server (works without JavaScript)")
async def sparql_ui(request: Request, query: str | None = None) -> Response:
    ctx = _editor_context(query or DEFAULT_QUERY)
    if not query:
        return render(request, "query.html", ctx)
    try:
        ctx["results"] = await _run_ui_query(request, query)
    except (AgoraError, ValueError) as exc:
        message = exc.message if isinstance(exc, AgoraError) else f"the results could not be read: {exc}"
        status = exc.http_status if isinstance(exc, AgoraError) else 500
        return render(request, "query.html", {**ctx, "error": message}, status=status)
    return render(request, "query.html", ctx)


# -- sources ------------------------------------------------------------------------------------------
@router.get("/sources", response_class=HTMLResponse, summary="Sources with provenance; curators load and delete")
def sources_page(request: Request) -> Response:
    store = request.app.state.store
    registry = request.app.state.harvest.registry
    return render(request, "sources.html", {"sources": store.sources(),
                                            "harvest": {s.name: registry.summary(s.name) for s in store.sources()},
                                            "profiles": profile_choices(request.app.state.settings.data_dir)})


# -- pages in their own modules (they import the helpers above) ----------------------------------------
from . import pages_edit, pages_home, pages_quality, pages_sources  # noqa: E402

router.include_router(pages_sources.router)
router.include_router(pages_home.router)
router.include_router(pages_edit.router)
router.include_router(pages_quality.router)
