"""Web pages for people (issue 10): resource pages, IRI dereferencing, validation, editor, sources.

Every test talks HTTP to the real app over the demo catalog, the way a browser or a Linked Data
client would, and checks what a reader sees (labels, roles, flows) or what a machine parses.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib.compare import isomorphic

from agora.api import pages
from agora.api.app import create_app
from agora.kg.config import load_settings
from agora.kg.resources_view import Flow, Term
from agora.kg.store import AgoraStore

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"
ID = "https://agora.example.org/id/"
ESCOOTER = ID + "usecase/e-scooter-b2g-planning"
ORESUND = ID + "usecase/oresund-cross-border-traffic"
TRIPS = ID + "antwerp/dataset/deelsteps-ritten"
COUNTS = ID + "antwerp/dataset/verkeerstellingen"
ANTWERP = ID + "org/stad-antwerpen"
HTML = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}


def with_pages(app: object) -> object:
    """Until app.py includes the pages router itself."""
    if not any(getattr(r, "path", None) == "/resource" for r in app.routes):  # type: ignore[attr-defined]
        app.include_router(pages.router)  # type: ignore[attr-defined]
    return app


@pytest.fixture(scope="module")
def client(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app over a copy of the demo catalog for the module: these tests only read."""
    data = tmp_path_factory.mktemp("pages") / "data"
    shutil.copytree(demo_dir, data)
    settings = load_settings(data, base_url="https://agora.example.org")
    store = AgoraStore(settings)
    app = with_pages(create_app(settings, store=store, load_demo=False))
    with TestClient(app) as c:
        yield c
    store.close()


def page(client: TestClient, url: str, **kw: object) -> str:
    r = client.get(url, headers=HTML, **kw)  # type: ignore[arg-type]
    assert r.status_code == 200, r.text[:500]
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def res(iri: str, **params: str) -> str:
    extra = "".join(f"&{k}={quote(v)}" for k, v in params.items())
    return f"/resource?iri={quote(iri, safe='')}{extra}"


def text(fragment: str) -> str:
    """What a reader sees: tags dropped, entities decoded, white space collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def between(doc: str, start: str, end: str) -> str:
    i = doc.index(start)
    return doc[i:doc.index(end, i)]


def rows(table: str) -> list[str]:
    return [text(r) for r in re.findall(r"<tr\b.*?</tr>", table, flags=re.S)]


def cbd(files: list[str], iri: str) -> rdflib.Graph:
    """The expected description: the resource's CBD in each demo file it appears in."""
    out = rdflib.Graph()
    for name in files:
        g = rdflib.Graph()
        g.parse(DATA / name, format="turtle")
        out += g.cbd(rdflib.URIRef(iri))
    return out


# -- resource pages -------------------------------------------------------------------------------
def test_usecase_page_lists_participants_with_roles_and_the_flows(client: TestClient) -> None:
    doc = page(client, res(ESCOOTER, lang="nl"))
    assert "<h1 lang=\"nl\">B2G-delen van deelstepritten voor stedelijke planning</h1>" in doc
    participants = rows(between(doc, '<table class="participants"', "</table>"))
    antwerp = next(r for r in participants if r.startswith("Stad Antwerpen"))
    assert "Overheidsinstantie" in antwerp and "Datagebruiker" in antwerp
    assert any(r.startswith("Voltway Scooters BV") and "Datahouder" in r for r in participants)
    flows = rows(between(doc, '<table class="flows-table"', "</table>"))
    assert flows[1:] == ["Ritten met deelsteps (Voltway) Voltway Scooters BV Stad Antwerpen "
                         "Ritdata Voltway-deelsteps: wel voor stedelijke planning, niet voor marketing "
                         "Ruimtelijke ordening"]
    svg = between(doc, '<svg class="flows"', "</svg>")
    assert "Ritten met deelsteps (Voltway)" in svg and svg.count('class="edge"') == 1
    # and the policy engine's decision for the flow: the city may use the trips for urban planning
    decisions = rows(between(doc, '<table class="decisions"', "</table>"))
    assert decisions[1].startswith("Ritten met deelsteps (Voltway) Stad Antwerpen Permit")
    assert f'href="{pages.resource_href(ANTWERP)}"' in svg
    # the raw statements are all there too, blank nodes nested
    assert "agora:participation" in doc and "agora:dataFlow" in doc


def test_usecase_flows_in_both_directions_are_both_drawn(client: TestClient) -> None:
    doc = page(client, res(ORESUND, lang="en"))
    svg = between(doc, '<svg class="flows"', "</svg>")
    assert svg.count('class="edge"') == 3
    assert "City of Copenhagen" in svg and "City of Malmö" in svg and "Region Skåne" in svg


def test_dataset_page_shows_publisher_policy_usecases_and_distributions(client: TestClient) -> None:
    doc = page(client, res(TRIPS, lang="en"))
    section = text(between(doc, 'id="ds-h"', "</section>"))
    assert "Publisher Voltway Scooters BV" in section
    assert "Voltway e-scooter trip data: city planning yes, marketing no" in section
    assert "B2G sharing of e-scooter trip data for urban planning" in section
    assert "Mobility" in section and "Transport" in section
    counts = page(client, res(COUNTS, lang="nl"))
    dists = rows(between(counts, '<table class="dist-table"', "</table>"))
    assert len(dists) == 3
    assert any("Verkeerstellingen met telcamera's (CSV)" in r and "CSV" in r and "Download" in r for r in dists)


def test_stakeholder_page_shows_roles_publications_and_usecases(client: TestClient) -> None:
    doc = page(client, res(ANTWERP, lang="en"))
    section = between(doc, 'id="sh-h"', "</section>")
    facts = text(between(section, '<dl class="facts">', "</dl>"))
    assert "Public authority" in facts and "Data holder" in facts and "Data user" in facts
    assert "Bicycle counts – counting posts" in text(section)
    usecases = rows(between(section, "Use cases", "</table>"))
    assert any(r.startswith("B2G sharing of e-scooter trip data") and "Public authority" in r for r in usecases)


def test_concept_page_has_all_labels_mappings_both_ways_and_tagged_datasets(client: TestClient) -> None:
    doc = page(client, res(ID + "antwerp/concept/deelmobiliteit", lang="en"))
    section = between(doc, 'id="c-h"', "</section>")
    mappings = rows(between(section, '<table class="mappings"', "</table>"))
    assert any("this → other" in r and "skos:closeMatch" in r and "mikromobilitet" in r for r in mappings)
    assert "Shared e-scooter trips (Voltway)" in text(section)
    assert "deelsteps" in text(section)  # alternative labels
    other = page(client, res(ID + "malmo/concept/mikromobilitet"))
    mappings = rows(between(other, '<table class="mappings"', "</table>"))
    assert any("other → this" in r and "deelmobiliteit" in r for r in mappings)
    sector = page(client, res("https://w3id.org/agora/sector/mobility"))
    labels = text(between(sector, "Preferred labels in all languages", "</table>"))
    for tag in ("da", "de", "en", "it", "nl", "sv"):
        assert f" {tag} " in f" {labels} "


def test_place_policy_and_source_pages(client: TestClient) -> None:
    place = page(client, res(ID + "place/antwerp"))
    names = text(between(place, "Names in all languages", "</table>"))
    assert "Anversa" in names and "Antwerpen" in names
    assert "Shared e-scooter trips (Voltway)" in text(between(place, 'id="pl-h"', "</section>"))

    policy = page(client, res(ID + "policy/voltway-trip-data", lang="en"))
    section = text(between(policy, 'id="po-h"', "</section>"))
    assert "Permission: use" in section and "Prohibition: use" in section
    assert "purpose isA Marketing" in section and "purpose isA Urban planning" in section

    info = client.app.state.store.get("antwerp")  # type: ignore[attr-defined]
    source = page(client, res(info.graph_iri))
    facts = text(between(source, 'id="source-h"', "</section>"))
    assert f"Triples {info.current.triples}" in facts and "Validation" in facts and "Origin" in facts


def test_unknown_and_invalid_iris(client: TestClient) -> None:
    r = client.get(res("https://agora.example.org/id/nothing/here"), headers=HTML)
    assert r.status_code == 404 and "Nothing is known about this IRI" in r.text
    r = client.get(res("https://agora.example.org/id/nothing/here"), headers={"Accept": "text/turtle"})
    assert r.status_code == 404
    r = client.get(res("not an iri"), headers=HTML)
    assert r.status_code == 400
    assert client.get("/resource", headers=HTML).status_code == 200  # the look-up form


# -- content negotiation --------------------------------------------------------------------------
@pytest.mark.parametrize(("accept", "fmt", "rdflib_fmt"), [
    ("text/turtle", None, "turtle"), ("application/ld+json", None, "json-ld"),
    ("application/rdf+xml", None, "xml"), ("application/n-triples", None, "nt"),
    (None, "ttl", "turtle"), (None, "jsonld", "json-ld"), (None, "rdf", "xml"), (None, "nt", "nt"),
])
def test_resource_description_by_negotiation(client: TestClient, accept: str | None, fmt: str | None,
                                             rdflib_fmt: str) -> None:
    url = res(TRIPS, **({"format": fmt} if fmt else {}))
    r = client.get(url, headers={"Accept": accept} if accept else HTML)
    assert r.status_code == 200, r.text
    assert "Accept" in r.headers["vary"]
    got = rdflib.Graph().parse(data=r.content, format=rdflib_fmt)
    assert isomorphic(got, cbd(["antwerp.ttl", "policies.ttl"], TRIPS))


def test_description_keeps_blank_nodes_and_literal_forms(client: TestClient) -> None:
    r = client.get(res(ESCOOTER), headers={"Accept": "text/turtle"})
    assert isomorphic(rdflib.Graph().parse(data=r.content, format="turtle"), cbd(["usecases.ttl"], ESCOOTER))
    dist = ID + "antwerp/distribution/verkeerstellingen-csv"
    r = client.get(res(dist, format="nt"))
    assert '"51220337"^^<http://www.w3.org/2001/XMLSchema#nonNegativeInteger>' in r.text
    assert isomorphic(rdflib.Graph().parse(data=r.content, format="nt"), cbd(["antwerp.ttl"], dist))


def test_source_graph_iri_dereferences_to_the_source(client: TestClient) -> None:
    info = client.app.state.store.get("usecases")  # type: ignore[attr-defined]
    r = client.get(res(info.graph_iri), headers={"Accept": "application/n-triples"})
    assert r.status_code == 200
    assert len(list(ox.parse(r.content, format=ox.RdfFormat.N_TRIPLES))) == info.current.triples


# -- /id/ dereferencing ---------------------------------------------------------------------------
def test_id_iris_dereference_on_the_server(client: TestClient) -> None:
    doc = page(client, "/id/usecase/e-scooter-b2g-planning?lang=en")
    assert "<h1 lang=\"en\">B2G sharing of e-scooter trip data for urban planning</h1>" in doc
    r = client.get("/id/usecase/e-scooter-b2g-planning", headers={"Accept": "text/turtle"})
    assert r.headers["content-type"].startswith("text/turtle")
    assert isomorphic(rdflib.Graph().parse(data=r.content, format="turtle"), cbd(["usecases.ttl"], ESCOOTER))
    r = client.get("/id/usecase/e-scooter-b2g-planning.jsonld", headers=HTML)
    assert r.headers["content-type"].startswith("application/ld+json")
    assert isomorphic(rdflib.Graph().parse(data=r.content, format="json-ld"), cbd(["usecases.ttl"], ESCOOTER))
    r = client.get("/id/org/stad-antwerpen.ttl")
    assert r.status_code == 200 and "Stad Antwerpen" in r.text
    assert client.get("/id/usecase/no-such-thing", headers=HTML).status_code == 404


# -- languages ------------------------------------------------------------------------------------
def test_language_switch_changes_labels_and_is_remembered(client: TestClient) -> None:
    client.cookies.clear()
    r = client.get(res(ORESUND, lang="sv"), headers=HTML)
    assert "Gränsöverskridande trafikledning Köpenhamn–Malmö</h1>" in r.text
    assert r.cookies.get(pages.LANG_COOKIE) == "sv"
    again = page(client, res(ORESUND))  # the cookie now speaks Swedish
    assert "Gränsöverskridande trafikledning Köpenhamn–Malmö</h1>" in again
    assert 'aria-current="true">SV</a>' in again
    da = page(client, res(ORESUND, lang="da"))
    assert "Grænseoverskridende trafikstyring København–Malmö</h1>" in da
    # no Italian title: English is the fallback, and linked labels follow the choice where they can
    it = page(client, res(ESCOOTER, lang="it"))
    assert '<h1 lang="en">B2G sharing of e-scooter trip data for urban planning</h1>' in it
    assert "Autorità pubblica" in it
    client.cookies.clear()


def test_lang_route_sets_the_cookie_and_goes_back(client: TestClient) -> None:
    r = client.get("/lang", params={"set": "nl", "next": "/resource?iri=x&lang=sv"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/resource?iri=x"
    assert "agora_lang=nl" in r.headers["set-cookie"]
    r = client.get("/lang", params={"set": "nl", "next": "https://evil.example/"}, follow_redirects=False)
    assert r.headers["location"] == "/"
    client.cookies.clear()


# -- validation -----------------------------------------------------------------------------------
BROKEN = (b"@prefix dct: <http://purl.org/dc/terms/> .\n"
          b"<https://x.example/d> a <http://www.w3.org/ns/dcat#Dataset> ;\n"
          b"  dct:title \"broken .\n")


def test_validate_page_has_the_form(client: TestClient) -> None:
    doc = page(client, "/validate")
    assert 'enctype="multipart/form-data"' in doc and 'type="file"' in doc
    assert 'value="dcat-ap@3.0.1"' in doc and 'value="agora"' in doc
    assert '<label for="file">' in doc and '<label for="profile">' in doc


def test_validate_upload_shows_the_report_grouped_by_severity_and_shape(client: TestClient) -> None:
    files = {"file": ("antwerp.ttl", (DATA / "antwerp.ttl").read_bytes(), "text/turtle")}
    r = client.post("/validate", files=files, data={"profile": "dcat-ap-recommended@3.0.1"}, headers=HTML)
    assert r.status_code == 200
    assert "Report for antwerp.ttl" in r.text and "dcat-ap-recommended@3.0.1" in r.text
    assert re.search(r'data-count="warnings">[1-9]\d*<', r.text)
    assert "A distribution should have a description (dct:description)." in r.text
    assert "https://agora.example.org/id/antwerp/distribution/" in r.text  # focus nodes
    assert 'download="validation-report.json" ' in r.text or 'download="validation-report.json"' in r.text
    uri = re.search(r'href="data:application/json;base64,([^"]+)"', r.text)
    assert uri is not None


def test_validate_broken_upload_shows_line_and_column(client: TestClient) -> None:
    files = {"file": ("broken.ttl", BROKEN, "text/turtle")}
    r = client.post("/validate", files=files, data={"profile": "agora"}, headers=HTML)
    assert r.status_code == 400
    assert "Syntax error at line 3, column" in r.text
    assert "<mark>  dct:title &#34;broken .</mark>" in r.text or "<mark>  dct:title &quot;broken .</mark>" in r.text


def test_validate_pasted_text_and_raw_bodies(client: TestClient) -> None:
    good = (DATA / "stakeholders.ttl").read_text()
    r = client.post("/validate", data={"text": good, "profile": "agora", "format": "json"}, headers=HTML)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    assert set(r.json()) >= {"conforms", "counts", "results"}
    raw = {"Content-Type": "text/turtle", "Accept": "application/json"}
    r = client.post("/validate?profile=dcat-ap-recommended@3.0.1", content=(DATA / "antwerp.ttl").read_bytes(),
                    headers=raw)
    assert r.status_code == 200 and r.json()["counts"]["warnings"] > 0
    r = client.post("/validate", content=(DATA / "antwerp.ttl").read_bytes(),
                    headers={"Content-Type": "text/turtle", "Accept": "text/turtle"})
    report = rdflib.Graph().parse(data=r.content, format="turtle")
    assert (None, rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/shacl#ValidationReport")) in report
    r = client.post("/validate?format=junit", content=(DATA / "antwerp.ttl").read_bytes(),
                    headers={"Content-Type": "text/turtle"})
    assert r.text.startswith("<?xml") and "<testsuite" in r.text
    r = client.post("/validate", content=BROKEN, headers={"Content-Type": "text/turtle", "Accept": "application/json"})
    assert r.status_code == 400 and r.json()["line"] == 3 and r.json()["column"]


# -- SPARQL editor --------------------------------------------------------------------------------
def test_editor_page_and_server_side_results(client: TestClient) -> None:
    doc = page(client, "/query")
    assert '<form method="get" action="/sparql-ui"' in doc and "PREFIX dcat: &lt;http://www.w3.org/ns/dcat#&gt;" in doc
    assert "/static/sparql-editor.js" in doc and "format=csv" in doc
    query = ("PREFIX dct: <http://purl.org/dc/terms/>\nSELECT ?t WHERE { <" + TRIPS + "> dct:title ?t } ORDER BY ?t")
    doc = page(client, "/sparql-ui", params={"query": query})
    table = between(doc, '<table class="results">', "</table>")
    assert rows(table) == ["?t", "Ritten met deelsteps (Voltway) nl", "Shared e-scooter trips (Voltway) en"]
    bad = client.get("/sparql-ui", params={"query": "SELECT WHERE"}, headers=HTML)
    assert bad.status_code == 400 and 'role="alert"' in bad.text


def test_wants_editor_only_for_browsers_without_a_query() -> None:
    from starlette.requests import Request

    def req(query: str, accept: str) -> Request:
        return Request({"type": "http", "method": "GET", "path": "/sparql", "query_string": query.encode(),
                        "headers": [(b"accept", accept.encode())]})

    assert pages.wants_editor(req("", HTML["Accept"]))
    assert not pages.wants_editor(req("", "text/turtle"))
    assert not pages.wants_editor(req("query=ASK%7B%7D", HTML["Accept"]))
    assert not pages.wants_editor(req("", "*/*"))


# -- sources --------------------------------------------------------------------------------------
def test_sources_page_lists_provenance_and_has_the_curator_tools(client: TestClient) -> None:
    doc = page(client, "/sources")
    antwerp = next(r for r in rows(between(doc, 'id="sources-table"', "</table>")) if r.startswith("antwerp"))
    info = client.app.state.store.get("antwerp")  # type: ignore[attr-defined]
    assert str(info.current.triples) in antwerp and info.current.validation in antwerp
    assert 'data-delete="antwerp"' in doc and 'data-delete="agora-ontology"' not in doc
    assert 'id="load-form"' in doc and "/static/sources.js" in doc and "<noscript>" in doc


def test_landing_keeps_its_counts_and_links_the_pages(client: TestClient) -> None:
    doc = page(client, "/")
    assert re.search(r'data-count="datasets">\d+<', doc)
    for href in ("/search", "/query", "/graphql", "/validate", "/sources"):
        assert f'href="{href}"' in doc


def test_static_assets_are_served(client: TestClient) -> None:
    for name in ("agora.css", "sparql-editor.js", "sources.js"):
        assert client.get(f"/static/{name}").status_code == 200


# -- the diagram on its own -----------------------------------------------------------------------
def test_flow_diagram_draws_one_arrow_per_flow_and_escapes_labels() -> None:
    a = Term("iri", "https://x.example/a", "A & Co")
    b = Term("iri", "https://x.example/b", "<B>")
    ds = Term("iri", "https://x.example/d", "Data \"one\"")
    svg = str(pages.flow_svg([Flow(ds, a, b, None, None), Flow(ds, b, a, None, None), Flow(None, a, None, None, None)]))
    assert svg.count('class="edge"') == 2
    assert "A &amp; Co" in svg and "&lt;B&gt;" in svg and "<B>" not in svg
    assert json.dumps(str(pages.flow_svg([]))) == '""'


@pytest.mark.parametrize(("iri", "heading"), [
    (ID + "antwerp/concepts", 'id="sc-h"'),
    (ID + "antwerp/service/voltway-mds-api", 'id="svc-h"'),
    (ID + "twin/nordhavn", 'id="tw-h"'),
    (ID + "antwerp/catalog", 'id="props-h"'),
    ("https://w3id.org/agora/ns#UseCase", 'id="inc-h"'),
    ("http://publications.europa.eu/resource/authority/licence/CC0", 'id="c-h"'),
])
def test_every_kind_of_resource_renders(client: TestClient, iri: str, heading: str) -> None:
    assert heading in page(client, res(iri))


def test_search_page_finds_other_cities_words_and_refines_by_facet(client: TestClient) -> None:
    doc = page(client, "/search?q=traffic+counts")
    assert "results for “traffic counts”" in doc
    hits = re.findall(r'<li class="hit" data-iri="([^"]+)"', doc)
    assert any("/amsterdam/" in h for h in hits) and any("/florence/" in h for h in hits)
    assert 'class="reason concept"' in doc or 'class="reason mapping"' in doc  # why it matched
    assert "<h3>Country</h3>" in doc
    narrowed = page(client, "/search?q=traffic+counts&filter=country%3DNLD")
    narrowed_hits = re.findall(r'<li class="hit" data-iri="([^"]+)"', narrowed)
    assert narrowed_hits and all("/amsterdam/" in h for h in narrowed_hits if "/dataset/" in h)
    assert page(client, "/search").count('<li class="hit"') == 0  # the bare page is just the form
