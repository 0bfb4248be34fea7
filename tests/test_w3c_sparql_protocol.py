"""The W3C SPARQL 1.1 Protocol tests (sparql11/protocol/manifest.ttl) against /sparql, over HTTP.

Each W3C test is a sequence of HTTP requests written in the W3C HTTP vocabulary (``ht:``); they
are sent as written to the app through FastAPI's TestClient, with the manifest's ``/sparql/``
path prefix replaced by ``/sparql``. The expected responses are checked as the manifest says:
``mf:expectedStatus`` (a class like 2xx, or exact codes), ``mf:expectedFormat`` (``boolean``,
``tabular`` or ``RDF``: the Content-Type must be one of the formats the test names and the body
must parse as such) and ``mf:expectedBoolean``.

Adaptations, all required by Agora's contract rather than by the tests:
- every request carries ``Authorization: Bearer <write token>``: Agora refuses unauthenticated
  writes, and without a token the "bad update" tests would pass for the wrong reason (401). For
  the same reason an expected 4xx must not be 401/403 (the auth layer answering) nor 404 (the
  request missing the endpoint);
- ``ut:graphData`` (the named graphs a test needs) is loaded with a Graph Store Protocol PUT to
  ``/store?graph=IRI``: in Agora every named graph is a source, and PUT is how a source with an
  arbitrary graph IRI is made. The store is emptied before each test.

Tests that cannot apply to Agora go in NOT_APPLICABLE with the reason, and are reported.
After the W3C tests come a few Agora-specific protocol checks (auth, default-graph writes,
service description, content negotiation, status codes), which are not counted in the W3C total.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from rdflib import Graph, URIRef

from .w3c_sparql import (
        MF,
        RDFS,
        SPARQL11,
        UT,
        XSD_STRING,
        AgoraEnv,
        Entry,
        HttpRequest,
        ResultFormatError,
        local_path,
        make_env,
        manifest_entries,
        media_type,
        parse_rdf,
        parse_rdf_response,
        parse_results,
        read_http_requests,
        to_ntriples,
    )

MANIFEST = SPARQL11 / "protocol" / "manifest.ttl"
ENTRIES: list[Entry] = manifest_entries(MANIFEST) if MANIFEST.exists() else []
ENDPOINT = "/sparql"

# W3C test id -> why it does not apply to Agora. Reported by the summary, never silently skipped.
NOT_APPLICABLE: dict[str, str] = {}

# The formats each mf:expectedFormat allows, per the test names ("expect one of: ...").
BOOLEAN_MEDIA = {"application/sparql-results+json", "application/sparql-results+xml"}
TABULAR_MEDIA = BOOLEAN_MEDIA | {"text/csv", "text/tab-separated-values"}
RDF_MEDIA = {"application/rdf+xml", "text/turtle", "application/n-triples", "text/html", "application/xhtml+xml"}
# 4xx codes that do not show the protocol violation was detected (see the module docstring).
WRONG_4XX = {401: "the auth layer answered 401", 403: "the auth layer answered 403",
             404: "404: the request did not reach the endpoint"}


def target(path: str) -> str:
    """The manifest's /sparql/ prefix replaced with Agora's endpoint path."""
    if path.startswith("/sparql/"):
        return ENDPOINT + path[len("/sparql/"):]
    if path == "/sparql":
        return ENDPOINT
    raise ValueError(f"unexpected path in the protocol manifest: {path}")


def setup_graph_data(env: AgoraEnv, entry: Entry) -> str | None:
    """PUT each ut:graphData file into a source named by its rdfs:label IRI; an error message or None."""
    g = entry.graph
    for gd in entry.values(UT.graphData):
        f = g.value(gd, UT.graph)
        label = g.value(gd, RDFS.label)
        data = to_ntriples(parse_rdf(local_path(f), fmt="nt"))
        resp = env.put_graph(str(label), data, "application/n-triples")
        if resp.status_code not in (200, 201, 204):
            return (f"setup: PUT /store?graph={label} answered {resp.status_code} {resp.text[:300]} "
                    "(the Graph Store Protocol PUT is needed to create the test's named graphs)")
    return None


def check_response(req: HttpRequest, resp: object, step: str) -> str | None:
    """None when the response is what the test expects, else why not."""
    code = resp.status_code  # type: ignore[attr-defined]
    body = resp.content  # type: ignore[attr-defined]
    ctype = resp.headers.get("content-type")  # type: ignore[attr-defined]
    exp = req.expect
    if not exp.status_ok(code):
        return f"{step}: status {code}, expected {exp.describe_statuses()}; body: {body[:300]!r}"
    if exp.statuses == ["4xx"] and code in WRONG_4XX:
        return f"{step}: {WRONG_4XX[code]}; body: {body[:300]!r}"
    if exp.format is None and exp.boolean is None:
        return None
    mt = media_type(ctype)
    if exp.format == "boolean" or exp.boolean is not None:
        if mt not in BOOLEAN_MEDIA:
            return f"{step}: Content-Type {ctype!r} is not a boolean results format ({sorted(BOOLEAN_MEDIA)})"
        try:
            res = parse_results(body, ctype)
        except ResultFormatError as exc:
            return f"{step}: unreadable {mt} result: {exc}; body: {body[:300]!r}"
        if res.kind != "boolean":
            return f"{step}: expected a boolean result, got {res.kind}"
        if exp.boolean is not None and res.boolean != exp.boolean:
            return f"{step}: expected {exp.boolean}, got {res.boolean}"
    elif exp.format == "tabular":
        if mt not in TABULAR_MEDIA:
            return f"{step}: Content-Type {ctype!r} is not a tabular results format ({sorted(TABULAR_MEDIA)})"
        try:
            res = parse_results(body, ctype)
        except ResultFormatError as exc:
            return f"{step}: unreadable {mt} result: {exc}; body: {body[:300]!r}"
        if res.kind != "bindings":
            return f"{step}: expected a table of bindings, got {res.kind}"
    elif exp.format == "RDF":
        if mt not in RDF_MEDIA:
            return f"{step}: Content-Type {ctype!r} is not one of {sorted(RDF_MEDIA)}"
        if mt not in ("text/html", "application/xhtml+xml"):
            try:
                parse_rdf_response(body, ctype, base="http://testserver/sparql")
            except Exception as exc:  # any parser error
                return f"{step}: the {mt} body does not parse: {exc}; body: {body[:300]!r}"
    return None


def run_entry(env: AgoraEnv, entry: Entry) -> tuple[bool, str]:
    env.reset()
    problem = setup_graph_data(env, entry)
    if problem:
        return False, problem
    requests = read_http_requests(entry.graph, entry.value(MF.action))
    if not requests:
        return False, "harness: the test has no ht:requests"
    for i, req in enumerate(requests, 1):
        headers = {k: v for k, v in req.headers}
        headers.update(env.auth)
        resp = env.client.request(req.method, target(req.path), content=req.body, headers=headers)
        why = check_response(req, resp, f"request {i}/{len(requests)} ({req.method} {req.path[:60]})")
        if why:
            return False, why
    return True, ""


_OUTCOMES: dict[str, tuple[bool, str]] = {}


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgoraEnv]:
    e = make_env(tmp_path_factory.mktemp("w3c-protocol") / "data")
    yield e
    e.close()


def outcome(env: AgoraEnv, entry: Entry) -> tuple[bool, str]:
    if entry.id not in _OUTCOMES:
        try:
            _OUTCOMES[entry.id] = run_entry(env, entry)
        except Exception as exc:  # a harness or client crash is a failure with its reason
            _OUTCOMES[entry.id] = (False, f"exception: {exc!r}")
    return _OUTCOMES[entry.id]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.local_name for e in ENTRIES])
def test_w3c_protocol(env: AgoraEnv, entry: Entry) -> None:
    if entry.local_name in NOT_APPLICABLE:
        pytest.fail(f"not applicable to Agora: {NOT_APPLICABLE[entry.local_name]}")
    ok, why = outcome(env, entry)
    assert ok, why


def test_w3c_protocol_summary(env: AgoraEnv, capsys: pytest.CaptureFixture[str]) -> None:
    assert ENTRIES, f"W3C protocol manifest not found at {MANIFEST}"
    applicable = [e for e in ENTRIES if e.local_name not in NOT_APPLICABLE]
    results = {e.local_name: outcome(env, e) for e in applicable}
    passed = sum(1 for ok, _ in results.values() if ok)
    if True:  # captured: conftest prints these lines in the run's conformance summary
        print(f"\nSPARQL Protocol: {passed}/{len(applicable)} passed "
              f"({len(NOT_APPLICABLE)} not applicable of {len(ENTRIES)} W3C tests)")
        for name, reason in NOT_APPLICABLE.items():
            print(f"  N/A  {name}: {reason}")
        for name, (ok, why) in results.items():
            if not ok:
                print(f"  FAIL {name}: {why.splitlines()[0][:200]}")
    failed = sorted(n for n, (ok, _) in results.items() if not ok)
    assert not failed, failed


# --------------------------------------------------------------------------------------------
# Agora-specific protocol checks (the contract), not part of the W3C count
# --------------------------------------------------------------------------------------------

EX = "http://example.org/agora-protocol/"
DATA = f"""
<{EX}s1> <{EX}p> "one" .
<{EX}s1> <{EX}q> <{EX}s2> .
<{EX}s2> <{EX}p> "two"@en .
<{EX}s2> <{EX}n> "2"^^<http://www.w3.org/2001/XMLSchema#integer> .
""".encode()
SELECT = f"SELECT ?s ?o WHERE {{ ?s <{EX}p> ?o }} ORDER BY ?s"
CONSTRUCT = f"CONSTRUCT {{ ?s <{EX}p> ?o }} WHERE {{ ?s <{EX}p> ?o }}"


@pytest.fixture
def loaded(env: AgoraEnv) -> str:
    """The store with one source holding DATA; returns its graph IRI."""
    env.reset()
    return env.load_default([(DATA, "ntriples", None)], name="protocol-data")


def _form(**fields: str | list[str]) -> tuple[bytes, dict[str, str]]:
    return (urlencode(fields, doseq=True).encode(), {"Content-Type": "application/x-www-form-urlencoded"})


@pytest.mark.parametrize("accept,kind", [
    ("application/sparql-results+json", "json"), ("application/sparql-results+xml", "xml"),
    ("text/csv", "csv"), ("text/tab-separated-values", "tsv"),
])
def test_select_content_negotiation(env: AgoraEnv, loaded: str, accept: str, kind: str) -> None:
    r = env.client.get(ENDPOINT, params={"query": SELECT}, headers={"Accept": accept})
    assert r.status_code == 200, r.text
    assert media_type(r.headers["content-type"]) == accept
    res = parse_results(r.content, r.headers["content-type"])
    assert res.variables == ["s", "o"]
    assert len(res.rows) == 2
    # CSV cannot tell IRIs from literals: there ?s reads as the plain string
    assert res.rows[0]["s"] in (("uri", f"{EX}s1"), ("literal", f"{EX}s1", XSD_STRING, ""))


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "application/sparql-results+xml"])
def test_ask_content_negotiation(env: AgoraEnv, loaded: str, accept: str) -> None:
    r = env.client.post(ENDPOINT, content=f"ASK {{ <{EX}s1> <{EX}p> \"one\" }}",
                        headers={"Content-Type": "application/sparql-query", "Accept": accept})
    assert r.status_code == 200, r.text
    assert media_type(r.headers["content-type"]) == accept
    assert parse_results(r.content, r.headers["content-type"]).boolean is True


@pytest.mark.parametrize("accept", ["text/turtle", "application/n-triples", "application/ld+json",
                                    "application/rdf+xml", "application/trig", "application/n-quads"])
def test_construct_content_negotiation(env: AgoraEnv, loaded: str, accept: str) -> None:
    r = env.client.post(ENDPOINT, content=CONSTRUCT, headers={"Content-Type": "application/sparql-query",
                                                              "Accept": accept})
    assert r.status_code == 200, r.text
    assert media_type(r.headers["content-type"]) == accept
    g = parse_rdf_response(r.content, r.headers["content-type"])
    assert len(g) == 2
    assert (URIRef(f"{EX}s1"), URIRef(f"{EX}p"), None) in g


def test_describe_returns_rdf(env: AgoraEnv, loaded: str) -> None:
    r = env.client.get(ENDPOINT, params={"query": f"DESCRIBE <{EX}s1>"}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200, r.text
    assert media_type(r.headers["content-type"]) == "text/turtle"
    g = parse_rdf_response(r.content, r.headers["content-type"])
    assert (URIRef(f"{EX}s1"), URIRef(f"{EX}q"), URIRef(f"{EX}s2")) in g


def test_bare_get_is_service_description(env: AgoraEnv) -> None:
    r = env.client.get(ENDPOINT, headers={"Accept": "text/turtle"})
    assert r.status_code == 200, r.text
    g: Graph = parse_rdf_response(r.content, r.headers["content-type"])
    sd = "http://www.w3.org/ns/sparql-service-description#"
    services = list(g.subjects(URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef(sd + "Service")))
    assert services, r.text
    assert any(True for _ in g.objects(services[0], URIRef(sd + "endpoint")))


@pytest.mark.parametrize("how", ["get", "form", "direct"])
def test_query_syntax_error_is_400(env: AgoraEnv, how: str) -> None:
    bad = "SELECT * WHERE { ?s ?p }"
    if how == "get":
        r = env.client.get(ENDPOINT, params={"query": bad})
    elif how == "form":
        body, headers = _form(query=bad)
        r = env.client.post(ENDPOINT, content=body, headers=headers)
    else:
        r = env.client.post(ENDPOINT, content=bad, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 400, r.text


@pytest.mark.parametrize("how", ["form", "direct"])
def test_update_syntax_error_is_400(env: AgoraEnv, how: str) -> None:
    bad = "INSERT DATA { GRAPH <http://example.org/g> { <a> <b> } }"
    if how == "form":
        body, headers = _form(update=bad)
    else:
        body, headers = bad.encode(), {"Content-Type": "application/sparql-update"}
    r = env.client.post(ENDPOINT, content=body, headers={**headers, **env.auth})
    assert r.status_code == 400, r.text


def test_query_and_update_together_is_400(env: AgoraEnv) -> None:
    body, headers = _form(query="ASK {}", update="CLEAR SILENT GRAPH <http://example.org/g>")
    r = env.client.post(ENDPOINT, content=body, headers={**headers, **env.auth})
    assert r.status_code == 400, r.text


def test_multiple_query_fields_in_form_is_400(env: AgoraEnv) -> None:
    body, headers = _form(query=["ASK {}", "SELECT * {}"])
    r = env.client.post(ENDPOINT, content=body, headers=headers)
    assert r.status_code == 400, r.text


def test_unsupported_media_type_is_415(env: AgoraEnv) -> None:
    r = env.client.post(ENDPOINT, content="ASK {}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415, r.text


def _insert(graph: str) -> str:
    return f'INSERT DATA {{ GRAPH <{graph}> {{ <{EX}new> <{EX}p> "inserted" }} }}'


def test_update_needs_a_token(env: AgoraEnv, loaded: str) -> None:
    r = env.client.post(ENDPOINT, content=_insert(loaded), headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 401, r.text
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer")
    body, headers = _form(update=_insert(loaded))
    assert env.client.post(ENDPOINT, content=body, headers=headers).status_code == 401


def test_update_with_read_token_is_403(env: AgoraEnv, loaded: str) -> None:
    r = env.client.post(ENDPOINT, content=_insert(loaded),
                        headers={"Content-Type": "application/sparql-update",
                                 "Authorization": f"Bearer {env.read_token}"})
    assert r.status_code == 403, r.text


def test_update_with_unknown_token_is_401(env: AgoraEnv, loaded: str) -> None:
    r = env.client.post(ENDPOINT, content=_insert(loaded),
                        headers={"Content-Type": "application/sparql-update", "Authorization": "Bearer nope"})
    assert r.status_code == 401, r.text


@pytest.mark.parametrize("how", ["form", "direct"])
def test_update_into_a_source_then_query(env: AgoraEnv, loaded: str, how: str) -> None:
    update = _insert(loaded)
    if how == "form":
        body, headers = _form(update=update)
    else:
        body, headers = update.encode(), {"Content-Type": "application/sparql-update"}
    r = env.client.post(ENDPOINT, content=body, headers={**headers, **env.auth})
    assert 200 <= r.status_code < 300, r.text
    r = env.client.get(ENDPOINT, params={"query": f"ASK {{ GRAPH <{loaded}> {{ <{EX}new> <{EX}p> \"inserted\" }} }}"},
                       headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert r.json()["boolean"] is True
    # the default graph is the union of the sources: the new triple is visible there too
    r = env.client.get(ENDPOINT, params={"query": f"ASK {{ <{EX}new> <{EX}p> \"inserted\" }}"},
                       headers={"Accept": "application/sparql-results+json"})
    assert r.json()["boolean"] is True


@pytest.mark.parametrize("update", [
    f'INSERT DATA {{ <{EX}x> <{EX}p> "default" }}',
    f'DELETE DATA {{ <{EX}s1> <{EX}p> "one" }}',
    f'DELETE {{ ?s <{EX}p> ?o }} INSERT {{ ?s <{EX}p> "changed" }} WHERE {{ ?s <{EX}p> ?o }}',
    f'LOAD <{EX}remote.ttl>',
], ids=["insert-data", "delete-data", "delete-insert-where", "load"])
def test_update_writing_the_default_graph_is_400(env: AgoraEnv, loaded: str, update: str) -> None:
    r = env.client.post(ENDPOINT, content=update,
                        headers={"Content-Type": "application/sparql-update", **env.auth})
    assert r.status_code == 400, r.text
    # nothing changed
    r = env.client.get(ENDPOINT, params={"query": f"SELECT * {{ ?s <{EX}p> ?o }}"},
                       headers={"Accept": "application/sparql-results+json"})
    values = sorted(b["o"]["value"] for b in r.json()["results"]["bindings"])
    assert values == ["one", "two"]


def test_update_using_graph_uri(env: AgoraEnv, loaded: str) -> None:
    """using-graph-uri makes the WHERE clause read that graph (as USING would)."""
    update = f'INSERT {{ GRAPH <{loaded}> {{ ?s <{EX}copied> ?o }} }} WHERE {{ ?s <{EX}p> ?o }}'
    r = env.client.post(ENDPOINT + "?" + urlencode({"using-graph-uri": loaded}), content=update,
                        headers={"Content-Type": "application/sparql-update", **env.auth})
    assert 200 <= r.status_code < 300, r.text
    r = env.client.get(ENDPOINT, params={"query": f"SELECT ?o {{ ?s <{EX}copied> ?o }}"},
                       headers={"Accept": "application/sparql-results+json"})
    assert sorted(b["o"]["value"] for b in r.json()["results"]["bindings"]) == ["one", "two"]


def test_query_dataset_protocol_overrides_union(env: AgoraEnv, loaded: str) -> None:
    """default-graph-uri of an existing source narrows the default graph to it."""
    env.load_default([(f'<{EX}other> <{EX}p> "other" .\n'.encode(), "ntriples", None)], name="protocol-other")
    r = env.client.get(ENDPOINT, params={"query": f"SELECT ?o {{ ?s <{EX}p> ?o }}", "default-graph-uri": loaded},
                       headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    assert sorted(b["o"]["value"] for b in r.json()["results"]["bindings"]) == ["one", "two"]
    r = env.client.get(ENDPOINT, params={"query": f"SELECT ?o {{ ?s <{EX}p> ?o }}"},
                       headers={"Accept": "application/sparql-results+json"})
    assert sorted(b["o"]["value"] for b in r.json()["results"]["bindings"]) == ["one", "other", "two"]


def test_data_files_present() -> None:
    for name in ("data1.nt", "data2.nt", "data3.nt"):
        assert (Path(MANIFEST).parent / name).is_file()
