"""Hypothesis-generated RDF, SPARQL and GraphQL sent through the real app: never a 500.

RDF documents are random bytes and text, valid documents built from random graphs (Turtle,
N-Triples, JSON-LD, RDF/XML), and those valid documents mutated (slices deleted, duplicated or
truncated, RDF-significant characters inserted). SPARQL queries and updates and GraphQL
queries are real ones mutated the same way, plus token-level edits.

Each answer must be 2xx, a 4xx with a message, or 503 with Retry-After. A syntax error in RDF
names the line and column whenever the parser knows them. A rejected write leaves the store
exactly as it was: same registry, same export of every source, no leftover graphs.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from agora.api.app import create_app
from agora.kg.config import load_settings
from agora.kg.rdfio import RDFInput
from agora.kg.store import AgoraStore

from .fault_support import (
    FUZZ_PROFILE,
    GraphQLInternalErrors,
    check_status,
    copy_data_dir,
    store_state,
)

ID = "https://agora.example.org/id/"
EX = "http://fuzz.example.org/"
FORMATS = {
    ox.RdfFormat.TURTLE: "text/turtle",
    ox.RdfFormat.N_TRIPLES: "application/n-triples",
    ox.RdfFormat.JSON_LD: "application/ld+json",
    ox.RdfFormat.RDF_XML: "application/rdf+xml",
}
SEED = f'<{EX}seed> <http://purl.org/dc/terms/title> "seed"@en .\n'.encode()


def fuzz(factor: int = 1) -> settings:
    """The shared derandomized profile, with `factor` times its examples (cheap tests explore more)."""
    base = settings.get_profile(FUZZ_PROFILE)
    return settings(base, max_examples=base.max_examples * factor)


# -- the app -------------------------------------------------------------------------------------


@dataclass
class Target:
    client: TestClient
    store: AgoraStore
    auth: dict[str, str]
    state: Any = None
    gql_errors: GraphQLInternalErrors = field(default_factory=GraphQLInternalErrors)

    def check(self, r: Any, what: str) -> None:
        check_status(r.status_code, r.headers, r.text, request=what)
        if 400 <= r.status_code < 500 and r.headers.get("content-type", "").startswith("application/json"):
            body = r.json()
            assert body.get("message") or body.get("detail") or body.get("errors"), f"{what}: 4xx without a message"

    def write_answered(self, r: Any, what: str, *, refused: bool = False) -> None:
        """After a write: a rejected one (4xx, or `refused`) changed nothing; an accepted one becomes the
        new reference."""
        self.check(r, what)
        now = store_state(self.store)
        if r.status_code >= 400 or refused:
            assert now == self.state, f"{what} was refused ({r.status_code}) but the store changed"
        self.state = now


@pytest.fixture(scope="module")
def target(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    data = copy_data_dir(demo_dir, tmp_path_factory.mktemp("fuzz-inputs") / "data")
    cfg = load_settings(data, query_timeout=5, max_result_rows=2_000)
    store = AgoraStore(cfg)
    app = create_app(cfg, store=store, load_demo=False)
    secret = app.state.ops.create_token("write", name="fuzzer")[1]
    auth = {"Authorization": f"Bearer {secret}"}
    handler = GraphQLInternalErrors()
    logging.getLogger("strawberry.execution").addHandler(handler)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            r = client.put("/store?graph=fuzz", content=SEED, headers={**auth, "Content-Type": "text/turtle"})
            assert r.status_code == 201, r.text
            t = Target(client, store, auth, store_state(store), handler)
            yield t
    finally:
        logging.getLogger("strawberry.execution").removeHandler(handler)
        store.close()


# -- RDF -----------------------------------------------------------------------------------------

_iris = st.sampled_from([f"{EX}{n}" for n in ("a", "b", "c", "d")] +
                        [f"{ID}amsterdam/dataset/verkeersintensiteiten", "http://www.w3.org/ns/dcat#Dataset"])
_preds = st.sampled_from(["http://purl.org/dc/terms/title", "http://www.w3.org/ns/dcat#keyword",
                          "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"{EX}p", "http://purl.org/dc/terms/issued"])
_xsd = "http://www.w3.org/2001/XMLSchema#"
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)
_literals = st.one_of(
    _text.map(ox.Literal),
    st.tuples(_text, st.sampled_from(["en", "nl", "da", "en-gb", "it"])).map(lambda t: ox.Literal(t[0], language=t[1])),
    st.tuples(st.sampled_from(["012", "-1", "x", "1e3", "2024-02-30", "true", "", " 1 "]),
              st.sampled_from(["integer", "nonNegativeInteger", "date", "boolean", "decimal", "string"])
              ).map(lambda t: ox.Literal(t[0], datatype=ox.NamedNode(_xsd + t[1]))),
)
_subjects = st.one_of(_iris.map(ox.NamedNode), st.sampled_from(["b1", "b2"]).map(ox.BlankNode))
_objects = st.one_of(_iris.map(ox.NamedNode), st.sampled_from(["b1", "b2"]).map(ox.BlankNode), _literals)
_graphs = st.lists(st.builds(ox.Triple, _subjects, _preds.map(ox.NamedNode), _objects), min_size=1, max_size=12)


def _serialize(triples: list[ox.Triple], fmt: ox.RdfFormat) -> bytes:
    out = io.BytesIO()
    ox.serialize(triples, out, format=fmt, prefixes={"dct": "http://purl.org/dc/terms/", "ex": EX}
                 if fmt in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None)
    return out.getvalue()


_SPECIAL = ["<", ">", '"', "'", "@", "^^", "{", "}", "[", "]", "(", ")", ".", ";", ",", "_:", "#", "\\",
            "\\u00", "\n", ":", "&", "<!ENTITY x \"y\">", "<!DOCTYPE r [", "]]>", "\x00", "\ufeff", "é", "\ud7ff",
            "@prefix", "@base", "rdf:about", "@context", "@id", "null", "1e999", "\"\"\"", "%"]


@st.composite
def mutated(draw: st.DrawFn, valid: bytes) -> bytes:
    """`valid` with one to three edits at random places."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 3))):
        n = len(data)
        at = draw(st.integers(0, n))
        kind = draw(st.sampled_from(["delete", "insert", "special", "duplicate", "truncate", "flip"]))
        if kind == "delete" and n:
            del data[at:at + draw(st.integers(1, 8))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        elif kind == "special":
            data[at:at] = draw(st.sampled_from(_SPECIAL)).encode("utf-8", "surrogatepass")
        elif kind == "duplicate" and n:
            end = min(n, at + draw(st.integers(1, 40)))
            data[at:at] = data[at:end] * draw(st.integers(1, 3))
        elif kind == "truncate":
            del data[at:]
        elif kind == "flip" and n:
            data[min(at, n - 1)] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


@st.composite
def rdf_documents(draw: st.DrawFn) -> tuple[ox.RdfFormat, bytes]:
    fmt = draw(st.sampled_from(list(FORMATS)))
    how = draw(st.sampled_from(["valid", "mutated", "mutated", "random-text", "random-bytes"]))
    if how == "random-text":
        return fmt, draw(st.text(max_size=200)).encode("utf-8", "surrogatepass")
    if how == "random-bytes":
        return fmt, draw(st.binary(max_size=200))
    valid = _serialize(draw(_graphs), fmt)
    return fmt, valid if how == "valid" else draw(mutated(valid))


def _parser_position(fmt: ox.RdfFormat, data: bytes) -> tuple[int, int] | None:
    """Where pyoxigraph itself stops on this document, when it says (None: it parses or gives no position)."""
    doc = RDFInput.from_bytes(data, name="x", fmt=fmt)
    if doc.has_cased_language_tags() or b"<!ENTITY" in doc.data:
        return None  # parsed by rdflib, or refused before parsing
    try:
        for _ in ox.parse(doc.data, format=fmt):
            pass
    except SyntaxError as exc:
        return (exc.lineno, exc.offset) if exc.lineno else None
    except ValueError:
        return None
    return None


def _check_syntax_message(r: Any, fmt: ox.RdfFormat, data: bytes, what: str) -> None:
    if r.status_code != 400:
        return
    body = r.json()
    if body.get("error") != "RDFSyntaxError":
        return
    position = _parser_position(fmt, data)
    if position is not None:
        line, column = position
        assert body.get("line") == line and f"line {line}" in body["message"], f"{what}: {body}"
        assert column is None or body.get("column") == column, f"{what}: {body}"


@fuzz(3)
@given(doc=rdf_documents())
def test_rdf_validation_never_fails_on_the_server(target: Target, doc: tuple[ox.RdfFormat, bytes]) -> None:
    fmt, data = doc
    what = f"POST /validate {fmt} {data[:300]!r}"
    r = target.client.post("/validate?format=json", content=data, headers={"Content-Type": FORMATS[fmt]})
    target.check(r, what)
    assert r.status_code in (200, 400, 413, 415, 422), what + f" -> {r.status_code} {r.text[:500]}"
    _check_syntax_message(r, fmt, data, what)


@fuzz(3)
@given(doc=rdf_documents(), how=st.sampled_from(["put", "post", "curator"]))
def test_rdf_writes_are_all_or_nothing(target: Target, doc: tuple[ox.RdfFormat, bytes], how: str) -> None:
    fmt, data = doc
    headers = {**target.auth, "Content-Type": FORMATS[fmt]}
    if how == "put":
        r = target.client.put("/store?graph=fuzz", content=data, headers=headers)
    elif how == "post":
        r = target.client.post("/store?graph=fuzz", content=data, headers=headers)
    else:
        r = target.client.post("/api/sources/fuzz?replace=true", content=data, headers=headers)
    what = f"{how} {fmt} {data[:300]!r}"
    target.write_answered(r, what)
    _check_syntax_message(r, fmt, data, what)


@fuzz(2)
@given(doc=rdf_documents(), mutation=st.sampled_from(["loadSource", "validate"]))
def test_rdf_through_graphql_mutations(target: Target, doc: tuple[ox.RdfFormat, bytes], mutation: str) -> None:
    fmt, data = doc
    body = data.decode("utf-8", "surrogateescape")  # undecodable bytes travel as lone surrogates in JSON
    names = {ox.RdfFormat.TURTLE: "turtle", ox.RdfFormat.N_TRIPLES: "ntriples", ox.RdfFormat.JSON_LD: "jsonld",
             ox.RdfFormat.RDF_XML: "rdfxml"}
    if mutation == "loadSource":
        q = ("mutation($b: String!, $f: String!) { loadSource(name: \"fuzz\", body: $b, format: $f, replace: true) "
             "{ __typename ... on InputError { message } } }")
    else:
        q = "mutation($b: String!, $f: String!) { validate(body: $b, format: $f) { __typename } }"
    what = f"graphql {mutation} {fmt} {data[:300]!r}"
    with target.gql_errors.watch(what):
        payload = json.dumps({"query": q, "variables": {"b": body, "f": names[fmt]}})  # \udcxx escapes
        r = target.client.post("/graphql", content=payload.encode(),
                               headers={**target.auth, "Content-Type": "application/json"})
    data = r.json().get("data") if r.status_code == 200 else None
    outcome = ((data or {}).get(mutation) or {}).get("__typename")
    target.write_answered(r, what, refused=outcome != "LoadSuccess")


# -- SPARQL --------------------------------------------------------------------------------------

PFX = ("PREFIX dcat: <http://www.w3.org/ns/dcat#> PREFIX dct: <http://purl.org/dc/terms/> "
       "PREFIX foaf: <http://xmlns.com/foaf/0.1/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n")
QUERIES = [
    "SELECT ?d ?t WHERE { ?d a dcat:Dataset ; dct:title ?t } LIMIT 5",
    "SELECT ?d WHERE { ?d a dcat:Dataset ; dct:title ?t FILTER(CONTAINS(LCASE(STR(?t)), \"traffic\")) } LIMIT 10",
    "SELECT ?p (COUNT(?d) AS ?n) WHERE { ?d dct:publisher ?p } GROUP BY ?p ORDER BY DESC(?n) LIMIT 5",
    "SELECT ?d ?f WHERE { ?d dcat:distribution ?x . OPTIONAL { ?x dct:format ?f } } LIMIT 20",
    "ASK { ?s a dcat:Catalog }",
    "CONSTRUCT { ?d dct:title ?t } WHERE { ?d dct:title ?t FILTER(LANG(?t) = \"en\") } LIMIT 10",
    f"DESCRIBE <{ID}amsterdam/dataset/verkeersintensiteiten>",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    "SELECT ?c ?l WHERE { ?c skos:prefLabel ?l ; skos:broader+ ?b } LIMIT 10",
    "SELECT * WHERE { VALUES ?x { 1 2 3 } BIND(?x * 2 AS ?y) FILTER(?y > 2) }",
    "SELECT ?d WHERE { { SELECT ?d WHERE { ?d a dcat:Dataset } LIMIT 3 } ?d dct:issued ?i } ORDER BY ?i",
    "SELECT ?t WHERE { ?d dct:title ?t FILTER REGEX(?t, \"^[A-Z].*s$\", \"i\") } LIMIT 5",
    "SELECT ?s WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT (SUM(?b) AS ?total) WHERE { ?x dcat:byteSize ?b }",
    "SELECT ?d WHERE { ?d dcat:keyword ?k } ORDER BY ?k OFFSET 5 LIMIT 5",
]
UPDATES = [
    f"INSERT DATA {{ GRAPH <http://127.0.0.1:8000/graph/fuzz> {{ <{EX}x> <{EX}p> \"v\"@en, 42 }} }}",
    f"DELETE DATA {{ GRAPH <http://127.0.0.1:8000/graph/fuzz> {{ <{EX}seed> dct:title \"seed\"@en }} }}",
    f"WITH <http://127.0.0.1:8000/graph/fuzz> DELETE {{ ?s ?p ?o }} INSERT {{ ?s <{EX}q> ?o }} "
    f"WHERE {{ ?s ?p ?o FILTER(isLiteral(?o)) }}",
    "CLEAR GRAPH <http://127.0.0.1:8000/graph/fuzz>",
    f"INSERT {{ GRAPH <http://127.0.0.1:8000/graph/fuzz> {{ ?d <{EX}seen> true }} }} "
    f"WHERE {{ ?d a dcat:Dataset }}",
    "COPY <http://127.0.0.1:8000/graph/fuzz> TO <http://127.0.0.1:8000/graph/fuzz2>",
    "DROP SILENT GRAPH <http://127.0.0.1:8000/graph/fuzz2>",
    f"INSERT DATA {{ GRAPH <http://127.0.0.1:8000/graph/fuzz> {{ <{EX}y> a dcat:Dataset }} }}",
    "LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <http://127.0.0.1:8000/graph/fuzz>",
    "CLEAR GRAPH <http://127.0.0.1:8000/graph/nothing-here>",
    "MOVE <http://127.0.0.1:8000/graph/nothing-here> TO <http://127.0.0.1:8000/graph/fuzz3>",
    "CREATE GRAPH <http://127.0.0.1:8000/graph/fuzz>",
]
_KEYWORDS = ["SELECT", "WHERE", "FILTER", "OPTIONAL", "UNION", "GRAPH", "LIMIT 0", "LIMIT 99999999999999999999",
             "ORDER BY", "GROUP BY", "?x", "*", "{", "}", "(", ")", ".", ";", "a", "^^", "<>", "<bad iri>",
             "\"", "'''", "#", "DEFAULT", "ALL", "NAMED", "SILENT", "INSERT", "DELETE", "SERVICE", "BIND(", "AS",
             "VALUES", "/", "|", "+", "COUNT(", "dct:", "_:b", "$", "@en", "1e999", "\\u0000", "\x00", "é", "€"]


@st.composite
def mutated_text(draw: st.DrawFn, originals: list[str]) -> str:
    """A real query, maybe edited at character level or token level."""
    text = draw(st.sampled_from(originals))
    if draw(st.integers(0, 4)) == 0:
        return text
    if draw(st.booleans()):
        words = text.split(" ")
        for _ in range(draw(st.integers(1, 3))):
            i = draw(st.integers(0, len(words)))
            op = draw(st.sampled_from(["insert", "replace", "delete", "swap"]))
            if op == "insert":
                words.insert(i, draw(st.sampled_from(_KEYWORDS)))
            elif words and op == "replace":
                words[min(i, len(words) - 1)] = draw(st.sampled_from(_KEYWORDS))
            elif words and op == "delete":
                del words[min(i, len(words) - 1)]
            elif len(words) > 1:
                j = draw(st.integers(0, len(words) - 1))
                k = min(i, len(words) - 1)
                words[j], words[k] = words[k], words[j]
        return " ".join(words)
    return draw(mutated(text.encode())).decode("utf-8", "replace")


@fuzz(3)
@given(q=mutated_text([PFX + q for q in QUERIES] + QUERIES), how=st.sampled_from(["get", "post", "form"]))
def test_sparql_queries_never_fail_on_the_server(target: Target, q: str, how: str) -> None:
    c = target.client
    if how == "get":
        r = c.get("/sparql", params={"query": q})
    elif how == "post":
        r = c.post("/sparql", content=q.encode("utf-8"), headers={"Content-Type": "application/sparql-query"})
    else:
        r = c.post("/sparql", data={"query": q})
    target.check(r, f"{how} /sparql {q!r}")
    assert r.status_code in (200, 400, 413, 415, 503), f"{q!r} -> {r.status_code} {r.text[:500]}"


@fuzz(2)
@given(u=mutated_text([PFX + u for u in UPDATES]), form=st.booleans())
def test_sparql_updates_are_all_or_nothing(target: Target, u: str, form: bool) -> None:
    c = target.client
    if form:
        r = c.post("/sparql", data={"update": u}, headers=target.auth)
    else:
        r = c.post("/sparql", content=u.encode("utf-8"),
                   headers={**target.auth, "Content-Type": "application/sparql-update"})
    target.write_answered(r, f"update {u!r}")


# -- GraphQL -------------------------------------------------------------------------------------

GRAPHQL = [
    "{ datasets(first: 3) { totalCount pageInfo { hasNextPage endCursor } nodes { iri title } } }",
    f'{{ dataset(iri: "{ID}amsterdam/dataset/verkeersintensiteiten") {{ title(lang: "nl") publisher {{ iri name '
    "datasets(first: 2) { nodes { iri } } } distributions { nodes { format { label } license { label } } } } }",
    '{ datasets(first: 5, filter: {text: "parkeer", country: ["NLD"]}) { nodes { iri } } }',
    "query($after: String) { stakeholders(first: 4, after: $after) { edges { cursor node { iri name } } } }",
    f'{{ useCase(iri: "{ID}usecase/oresund-cross-border-traffic") {{ title participations {{ role {{ label }} }} }} }}',
    '{ concept(iri: "https://w3id.org/agora/sector/mobility") { label datasets(expand: true, first: 3) '
    "{ nodes { iri } } } }",
    '{ node(id: "bm90LWFuLWlk") { id } }',
    "{ sources { name triples validation } }",
    '{ __type(name: "Dataset") { fields { name } } }',
    '{ datasets(last: 2, before: "eHl6") { nodes { iri } } }',
]
_GQL_TOKENS = ["{", "}", "(", ")", ":", "!", "$x", "...", "on", "first: -1", "first: 100000", "after: \"@@\"",
               "iri: \"\"", "iri: \"not an iri\"", "lang: \"\"", "filter: {}", "null", "true", "\"\\u0000\"",
               "__typename", "fragment", "#", "@skip(if: true)", "datasets", "nodes", "1e400", "\"\"\""]


@fuzz(3)
@given(q=mutated_text(GRAPHQL), get=st.booleans())
def test_graphql_queries_never_fail_on_the_server(target: Target, q: str, get: bool) -> None:
    what = f"graphql {q!r}"
    with target.gql_errors.watch(what):
        if get:
            r = target.client.get("/graphql", params={"query": q})
        else:
            r = target.client.post("/graphql", json={"query": q, "variables": {"after": "x"}})
    target.check(r, what)
    assert r.status_code in (200, 400, 405, 413), f"{what} -> {r.status_code} {r.text[:500]}"
    if r.status_code == 200:
        body = r.json()
        assert "data" in body or "errors" in body, what
