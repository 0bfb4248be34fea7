"""GraphQL reads over HTTP against the demo catalog: protocol, pagination, traversal, filters,
languages, Relay nodes, sources, and the number of store queries a page costs.

Expected answers for filters are computed independently, with rdflib over data/*.ttl.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from fastapi.testclient import TestClient
from rdflib import RDF, URIRef

from .conftest import backend_settings
from .test_graphql_support import ID, counting_queries, expand, gql, graphql_client

REPO = Path(__file__).resolve().parents[1]
AGORA = rdflib.Namespace("https://w3id.org/agora/ns#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")  # plain namespaces: pytest probes module attributes,
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")  # and rdflib's closed ones warn about unknown names
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
EU = "http://publications.europa.eu/resource/authority/"
TRAFFIC_DK = ID + "copenhagen/dataset/trafiktaelling"
TRAFFIC_NL = ID + "amsterdam/dataset/verkeersintensiteiten"
AMSTERDAM = ID + "org/gemeente-amsterdam"
ORESUND = ID + "usecase/oresund-cross-border-traffic"


pytestmark = pytest.mark.backends  # every test here runs on the embedded store and on Virtuoso


@pytest.fixture(scope="module")
def client(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory, backend: str,
           request: pytest.FixtureRequest) -> Iterator[TestClient]:
    target = tmp_path_factory.mktemp("graphql") / "data"
    remote = None if backend == "embedded" else backend_settings(backend, target, request)
    with graphql_client(demo_dir, target, remote) as c:
        yield c


@pytest.fixture(scope="module")
def rdf() -> rdflib.Graph:
    g = rdflib.Graph()
    for f in [*sorted((REPO / "data").glob("*.ttl")), *sorted((REPO / "ontology").glob("*.ttl"))]:
        g.parse(f)
    return g


def datasets_of(g: rdflib.Graph) -> set[str]:
    return {str(d) for d in g.subjects(RDF.type, DCAT["Dataset"])}


def all_datasets(client: TestClient, filter_: dict | None = None) -> list[str]:
    """Every dataset IRI a filter selects, following the cursors page by page."""
    out: list[str] = []
    after = None
    while True:
        data = gql(client, "query($f: DatasetFilter, $after: String) { datasets(first: 40, after: $after, "
                           "filter: $f) { totalCount pageInfo { hasNextPage endCursor } nodes { iri } } }",
                   {"f": filter_, "after": after})["datasets"]
        out += [n["iri"] for n in data["nodes"]]
        if not data["pageInfo"]["hasNextPage"]:
            assert data["totalCount"] == len(out)
            return out
        after = data["pageInfo"]["endCursor"]


# -- GraphQL over HTTP ---------------------------------------------------------------------------


def test_sdl_is_served(client: TestClient) -> None:
    r = client.get("/graphql/schema.graphql")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    for text in ("type Dataset implements", "interface Node", "union LoadResult", "input DatasetFilter",
                 "type DatasetConnection", "totalCount: Int!"):
        assert text in r.text


def test_graphiql_for_browsers_and_get_queries(client: TestClient) -> None:
    page = client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    r = client.get("/graphql", params={"query": "{ datasets(first: 1) { totalCount } }"})
    assert r.status_code == 200
    assert r.json() == {"data": {"datasets": {"totalCount": 105}}}


def test_introspection_is_on(client: TestClient) -> None:
    data = gql(client, '{ __type(name: "Dataset") { fields { name } } }')
    names = {f["name"] for f in data["__type"]["fields"]}
    assert {"id", "iri", "title", "publisher", "distributions", "themes"} <= names


def test_graphql_response_media_type(client: TestClient) -> None:
    accept = {"accept": "application/graphql-response+json, application/json;q=0.9"}
    ok = client.post("/graphql", json={"query": "{ datasets(first: 1) { totalCount } }"}, headers=accept)
    assert ok.status_code == 200
    assert ok.headers["content-type"].startswith("application/graphql-response+json")
    bad = client.post("/graphql", json={"query": "{ datasets { noSuchField } }"}, headers=accept)
    assert bad.status_code == 400 and "noSuchField" in bad.json()["errors"][0]["message"]
    legacy = client.post("/graphql", json={"query": "{ datasets { noSuchField } }"})
    assert legacy.status_code == 200 and legacy.headers["content-type"].startswith("application/json")


# -- pagination ----------------------------------------------------------------------------------


def test_pages_walk_the_whole_list_in_iri_order(client: TestClient, rdf: rdflib.Graph) -> None:
    walked = all_datasets(client)
    assert walked == sorted(datasets_of(rdf))
    assert len(walked) == 105


def test_page_info_and_backward_pages(client: TestClient) -> None:
    q = ("query($first: Int, $after: String, $last: Int, $before: String) { datasets(first: $first, after: $after, "
         "last: $last, before: $before) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
         "edges { cursor node { iri } } } }")
    first = gql(client, q, {"first": 20})["datasets"]
    assert first["totalCount"] == 105
    assert first["pageInfo"]["hasNextPage"] and not first["pageInfo"]["hasPreviousPage"]
    assert first["pageInfo"]["startCursor"] == first["edges"][0]["cursor"]
    iris = [e["node"]["iri"] for e in first["edges"]]
    back = gql(client, q, {"last": 5, "before": first["edges"][10]["cursor"]})["datasets"]
    assert [e["node"]["iri"] for e in back["edges"]] == iris[5:10]
    assert back["pageInfo"]["hasPreviousPage"] and back["pageInfo"]["hasNextPage"]
    second = gql(client, q, {"first": 20, "after": first["pageInfo"]["endCursor"]})["datasets"]
    assert second["edges"][0]["node"]["iri"] > iris[-1]
    assert second["pageInfo"]["hasPreviousPage"]
    tail = gql(client, q, {"last": 3})["datasets"]
    assert not tail["pageInfo"]["hasNextPage"] and tail["pageInfo"]["hasPreviousPage"]
    assert [e["node"]["iri"] for e in tail["edges"]] == all_datasets(client)[-3:]
    assert gql(client, q, {"first": 0})["datasets"]["edges"] == []


def test_cursor_encodes_the_last_iri(client: TestClient) -> None:
    edge = gql(client, "{ datasets(first: 1) { edges { cursor node { iri } } } }")["datasets"]["edges"][0]
    raw = base64.urlsafe_b64decode(edge["cursor"] + "=" * (-len(edge["cursor"]) % 4)).decode()
    assert raw.endswith(edge["node"]["iri"])


@pytest.mark.parametrize(("args", "message"), [
    ("first: 101", "between 0 and 100"),
    ("first: -1", "between 0 and 100"),
    ("first: 2, last: 2", "not both"),
    ('after: "not-a-cursor"', "invalid cursor"),
])
def test_bad_paging_arguments_are_errors(client: TestClient, args: str, message: str) -> None:
    body = gql(client, f"{{ datasets({args}) {{ totalCount }} }}", errors=True)
    assert message in body["errors"][0]["message"]


def test_nested_connections_page_too(client: TestClient) -> None:
    q = expand('query($after: String) { stakeholder(iri: "<AMSTERDAM>") { datasets(first: 5, after: $after) { '
               'totalCount pageInfo { hasNextPage endCursor } nodes { iri } } } }')
    seen: list[str] = []
    after = None
    while True:
        conn = gql(client, q, {"after": after})["stakeholder"]["datasets"]
        seen += [n["iri"] for n in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) == conn["totalCount"] == 14
    assert seen == sorted(seen) and TRAFFIC_NL in seen


# -- traversal -----------------------------------------------------------------------------------


def test_dataset_publisher_and_their_other_datasets(client: TestClient) -> None:
    data = gql(client, expand("""{ dataset(iri: "<TRAFFIC_NL>") { title publisher { iri name roles { nodes {
        notation } } datasets(first: 100) { totalCount nodes { iri } } } } }"""))["dataset"]
    assert data["title"] == "Traffic volumes on the main road network"
    pub = data["publisher"]
    assert pub["iri"] == AMSTERDAM and pub["name"] == "City of Amsterdam"
    assert {r["notation"] for r in pub["roles"]["nodes"]} >= {"public-authority", "data-holder"}
    assert TRAFFIC_NL in {n["iri"] for n in pub["datasets"]["nodes"]}


def test_use_case_stakeholders_and_roles(client: TestClient) -> None:
    uc = gql(client, expand("""{ useCase(iri: "<ORESUND>") { title status { notation } participations {
        stakeholder { iri } roles { nodes { notation } } } stakeholders { totalCount } } }"""))["useCase"]
    roles = {p["stakeholder"]["iri"]: {r["notation"] for r in p["roles"]["nodes"]} for p in uc["participations"]}
    assert roles[ID + "org/kobenhavns-kommune"] == {"public-authority", "data-holder"}
    assert roles[ID + "org/civitas-data-exchange"] == {"data-intermediary"}
    assert uc["stakeholders"]["totalCount"] == len(roles) == 7
    assert uc["status"]["notation"] == "pilot"


def test_use_case_datasets_distributions_licences_and_policies(client: TestClient) -> None:
    uc = gql(client, expand("""{ useCase(iri: "<ORESUND>") { datasets(first: 10) { nodes { iri distributions {
        nodes { license { iri label } } } policies { nodes { iri permissions { action } } } } }
        dataFlows { dataset { iri } provider { name } policy { iri kind } purpose { notation } } } }"""))
    datasets = {d["iri"]: d for d in uc["useCase"]["datasets"]["nodes"]}
    counts = datasets[TRAFFIC_DK]
    assert {d["license"]["iri"] for d in counts["distributions"]["nodes"]} == {EU + "licence/CC_BY_4_0"}
    assert {d["license"]["label"] for d in counts["distributions"]["nodes"]} == {
        "Creative Commons Attribution 4.0 International"}
    assert counts["policies"]["nodes"][0]["iri"] == ID + "policy/kk-open-data"
    assert counts["policies"]["nodes"][0]["permissions"][0]["action"] == "http://www.w3.org/ns/odrl/2/use"
    flows = uc["useCase"]["dataFlows"]
    assert len(flows) == 3
    exchange = [f for f in flows if f["policy"]["iri"] == ID + "policy/oresund-traffic-exchange"]
    assert len(exchange) == 2 and {f["purpose"]["notation"] for f in exchange} == {"traffic-management"}


def test_concept_datasets_across_cities_through_mappings(client: TestClient, rdf: rdflib.Graph) -> None:
    q = """query($iri: String!, $expand: Boolean!) { concept(iri: $iri) { prefLabel mappedConcepts(first: 50) {
        nodes { iri } } datasets(expand: $expand, first: 100) { nodes { iri } } } }"""
    dk = ID + "copenhagen/concept/trafiktaelling"
    nl = ID + "amsterdam/concept/verkeersintensiteit"
    expanded = gql(client, q, {"iri": dk, "expand": True})["concept"]
    strict = gql(client, q, {"iri": dk, "expand": False})["concept"]
    assert expanded["prefLabel"] == "trafiktælling"
    strict_iris = {n["iri"] for n in strict["datasets"]["nodes"]}
    expanded_iris = {n["iri"] for n in expanded["datasets"]["nodes"]}
    assert TRAFFIC_DK in strict_iris and TRAFFIC_NL not in strict_iris
    assert TRAFFIC_NL in expanded_iris  # amsterdam's concept is skos:closeMatch copenhagen's: the other direction
    # Independent expectation: tagged with the concept or one exact/close-mapped to it, either way.
    c = URIRef(dk)
    mapped = {c} | {o for p in (SKOS["exactMatch"], SKOS["closeMatch"]) for o in rdf.objects(c, p)} | {
        s for p in (SKOS["exactMatch"], SKOS["closeMatch"]) for s in rdf.subjects(p, c)}
    expected = {str(d) for d in rdf.subjects(RDF.type, DCAT["Dataset"])
                if any((d, p, m) in rdf for p in (DCAT["theme"], AGORA["sector"]) for m in mapped)}
    assert expanded_iris == expected
    assert nl in {n["iri"] for n in expanded["mappedConcepts"]["nodes"]}


def test_sector_use_cases_twins_and_data_spaces(client: TestClient) -> None:
    data = gql(client, expand("""{ sector(iri: "mobility") { label(lang: "da") useCases(first: 20) { nodes { iri } }
        twins { nodes { iri } } }
        localDigitalTwin(iri: "<ID>twin/nordhavn") { twinOf { name } fedBy(first: 20) { totalCount nodes {
        __typename iri } } memberOf { nodes { iri } } }
        dataSpace(iri: "<ID>dataspace/greater-copenhagen") { governanceAuthorities { nodes { name } }
        members(first: 100) { totalCount nodes { __typename iri } } } }"""))
    assert data["sector"]["label"] == "Mobilitet"
    assert ORESUND in {n["iri"] for n in data["sector"]["useCases"]["nodes"]}
    assert ID + "twin/nordhavn" in {n["iri"] for n in data["sector"]["twins"]["nodes"]}
    twin = data["localDigitalTwin"]
    assert twin["twinOf"]["name"] == "Nordhavn (Copenhagen North Harbour)"
    kinds = {n["__typename"] for n in twin["fedBy"]["nodes"]}
    assert kinds == {"Dataset", "DataService"} and twin["fedBy"]["totalCount"] == 8
    space = data["dataSpace"]
    assert space["governanceAuthorities"]["nodes"] == [{"name": "Gate 21"}]
    members = {n["iri"]: n["__typename"] for n in space["members"]["nodes"]}
    assert members[ID + "org/movia"] == "Stakeholder" and members[ID + "twin/nordhavn"] == "LocalDigitalTwin"


def test_policies_rules_constraints_and_duties(client: TestClient) -> None:
    data = gql(client, expand("""{ voltway: policy(iri: "<ID>policy/voltway-trip-data") { kind uid assigner {
        __typename label } permissions { kind assignee { iri } constraints { leftOperand operator rightOperand } }
        prohibitions { kind constraints { rightOperand } } governs { nodes { iri } } }
        open: policy(iri: "<ID>policy/kk-open-data") { permissions { duties { kind action parties { function
        party { iri } } } } }
        danes: policy(iri: "<ID>policy/regionh-danish-authorities") { assignee { __typename label } } }"""))
    voltway = data["voltway"]
    assert voltway["kind"] == "Set" and voltway["uid"] == ID + "policy/voltway-trip-data"
    assert voltway["assigner"] == {"__typename": "Stakeholder", "label": "Voltway Scooters BV"}
    (permission,) = voltway["permissions"]
    assert permission["kind"] == "Permission" and permission["assignee"]["iri"] == ID + "org/stad-antwerpen"
    assert permission["constraints"] == [{"leftOperand": "http://www.w3.org/ns/odrl/2/purpose",
                                          "operator": "http://www.w3.org/ns/odrl/2/isA",
                                          "rightOperand": ["https://w3id.org/agora/purpose/urban-planning"]}]
    assert voltway["prohibitions"][0]["constraints"][0]["rightOperand"] == ["https://w3id.org/agora/purpose/marketing"]
    assert voltway["governs"]["nodes"] == [{"iri": ID + "antwerp/dataset/deelsteps-ritten"}]
    duty = data["open"]["permissions"][0]["duties"][0]
    assert duty["kind"] == "Duty" and duty["action"] == "http://www.w3.org/ns/odrl/2/attribute"
    assert duty["parties"] == [{"function": "attributedParty", "party": {"iri": ID + "org/kobenhavns-kommune"}}]
    assert data["danes"]["assignee"] == {"__typename": "Thing", "label": "Public authorities in Denmark"}


# -- languages -----------------------------------------------------------------------------------


def test_languages_with_fallback(client: TestClient) -> None:
    q = expand("""{ dataset(iri: "<TRAFFIC_DK>") { da: title(lang: "da") en: title(lang: "en")
        fr: title(lang: "fr") default: title titles { value language } keywords(lang: "da") }
        place(iri: "<ID>place/florence") { it: name(lang: "it") de: name(lang: "de") names { language } } }""")
    data = gql(client, q)
    d = data["dataset"]
    assert d["da"] == "Trafiktællinger på kommunens veje"
    assert d["en"] == d["fr"] == d["default"] == "Traffic counts on municipal roads"  # fr falls back to en
    assert {t["language"] for t in d["titles"]} == {"da", "en"}
    assert d["keywords"] and all(k != "traffic counts" for k in d["keywords"])
    assert data["place"]["it"] == "Firenze" and data["place"]["de"] == "Florenz"
    assert len(data["place"]["names"]) == 6


def test_accept_language_sets_the_default(client: TestClient) -> None:
    q = expand('{ dataset(iri: "<TRAFFIC_NL>") { title publisher { name } } }')
    nl = gql(client, q, headers={"accept-language": "nl-NL,nl;q=0.9,en;q=0.5"})["dataset"]
    assert nl["title"] == "Verkeersintensiteiten op het hoofdnet auto"
    assert nl["publisher"]["name"] == "Gemeente Amsterdam"
    argument_wins = gql(client, expand('{ dataset(iri: "<TRAFFIC_NL>") { title(lang: "en") } }'),
                        headers={"accept-language": "nl"})["dataset"]
    assert argument_wins["title"] == "Traffic volumes on the main road network"


# -- filters -------------------------------------------------------------------------------------


def _expected(rdf: rdflib.Graph, name: str) -> set[str]:
    ds = [URIRef(d) for d in datasets_of(rdf)]

    def dists(d: URIRef) -> list[URIRef]:
        return list(rdf.objects(d, DCAT["distribution"]))

    def spatial(d: URIRef) -> set[str]:
        places = set(rdf.objects(d, DCTERMS["spatial"]))
        return {str(p) for p in places} | {str(c) for p in places for c in rdf.objects(p, AGORA["country"])}

    def centroid(d: URIRef) -> list[tuple[float, float]]:
        out = []
        for p in rdf.objects(d, DCTERMS["spatial"]):
            for wkt in rdf.objects(p, DCAT["centroid"]):
                lon, lat = re.search(r"POINT\s*\(\s*(\S+)\s+(\S+)\s*\)", str(wkt)).groups()
                out.append((float(lon), float(lat)))
        return out

    def text(d: URIRef) -> str:
        return " ".join(str(o).lower() for p in (DCTERMS["title"], DCTERMS["description"], DCAT["keyword"])
                        for o in rdf.objects(d, p))

    checks = {
        "sector": lambda d: (d, AGORA["sector"], URIRef("https://w3id.org/agora/sector/mobility")) in rdf,
        "theme": lambda d: any((d, p, URIRef(EU + "data-theme/TRAN")) in rdf for p in (DCAT["theme"], AGORA["sector"])),
        "publisher": lambda d: (d, DCTERMS["publisher"], URIRef(AMSTERDAM)) in rdf,
        "country": lambda d: EU + "country/DNK" in spatial(d),
        "format": lambda d: any((x, DCTERMS["format"], URIRef(EU + "file-type/GEOJSON")) in rdf for x in dists(d)),
        "licence": lambda d: any((x, DCTERMS["license"], URIRef(EU + "licence/CC0")) in rdf for x in dists(d)),
        "modified": lambda d: any("2025-01-01" <= str(m)[:10] <= "2025-03-31"
                                  for m in rdf.objects(d, DCTERMS["modified"])),
        "issued": lambda d: any(str(m)[:10] <= "2015-12-31" for m in rdf.objects(d, DCTERMS["issued"])),
        "bbox": lambda d: any(4.0 <= lon <= 5.5 and 51.0 <= lat <= 52.6 for lon, lat in centroid(d)),
        "text": lambda d: "traffic" in text(d),
    }
    return {str(d) for d in ds if checks[name](d)}


FILTERS = {
    "sector": {"sector": ["mobility"]},
    "theme": {"theme": ["TRAN"]},
    "publisher": {"publisher": [AMSTERDAM]},
    "country": {"country": ["DNK"]},
    "format": {"format": ["GEOJSON"]},
    "licence": {"licence": ["CC0"]},
    "modified": {"modified": {"from": "2025-01-01", "to": "2025-03-31"}},
    "issued": {"issued": {"to": "2015-12-31"}},
    "bbox": {"bbox": {"minLon": 4.0, "minLat": 51.0, "maxLon": 5.5, "maxLat": 52.6}},
    "text": {"text": "TRAFFIC"},
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_each_filter_matches_an_independent_evaluation(client: TestClient, rdf: rdflib.Graph, name: str) -> None:
    expected = _expected(rdf, name)
    assert expected, f"the demo data should exercise the {name} filter"
    assert set(all_datasets(client, FILTERS[name])) == expected


def test_filters_combine_with_and(client: TestClient, rdf: rdflib.Graph) -> None:
    combined = {**FILTERS["text"], **FILTERS["country"], **FILTERS["licence"]}
    expected = _expected(rdf, "text") & _expected(rdf, "country") & _expected(rdf, "licence")
    assert set(all_datasets(client, combined)) == expected
    assert set(all_datasets(client, {**FILTERS["text"], **FILTERS["country"]})) == (
        _expected(rdf, "text") & _expected(rdf, "country"))


def test_city_filter_includes_parts_and_theme_expansion(client: TestClient) -> None:
    nordhavn = set(all_datasets(client, {"city": [ID + "place/nordhavn"]}))
    copenhagen = set(all_datasets(client, {"city": [ID + "place/copenhagen"]}))
    assert nordhavn == {ID + "copenhagen/dataset/energylab-nordhavn"}
    assert nordhavn < copenhagen  # Copenhagen dct:hasPart Nordhavn
    local = ID + "copenhagen/concept/trafiktaelling"
    strict = set(all_datasets(client, {"theme": [local]}))
    expanded = set(all_datasets(client, {"theme": [local], "expand": True}))
    assert strict < expanded and TRAFFIC_NL in expanded


def test_filter_on_nested_lists(client: TestClient) -> None:
    data = gql(client, expand("""{ stakeholder(iri: "<AMSTERDAM>") { datasets(filter: {text: "parkeer"}) {
        nodes { iri } } } place(iri: "<ID>place/amsterdam") { datasets(first: 100, filter: {format: ["GEOJSON"]}) {
        totalCount } } }"""))
    assert {n["iri"] for n in data["stakeholder"]["datasets"]["nodes"]} == {
        ID + "amsterdam/dataset/parkeergarages-bezetting", ID + "amsterdam/dataset/parkeervakken"}
    assert 0 < data["place"]["datasets"]["totalCount"] < 20


def test_usable_by_uses_the_policy_engine(client: TestClient) -> None:
    scooters = ID + "antwerp/dataset/deelsteps-ritten"
    q = expand("""query($who: String!, $why: String) { datasets(first: 100, filter: {usableBy: {stakeholder: $who,
        purpose: $why}, publisher: ["<ID>org/voltway"]}) { nodes { iri } } }""")
    planning = gql(client, q, {"who": ID + "org/stad-antwerpen", "why": "purpose:urban-planning"})
    marketing = gql(client, q, {"who": ID + "org/adpulse-media", "why": "purpose:marketing"})
    assert {n["iri"] for n in planning["datasets"]["nodes"]} == {scooters}
    assert marketing["datasets"]["nodes"] == []


def test_other_lists_filter_too(client: TestClient) -> None:
    data = gql(client, expand("""{ stakeholders(first: 100, filter: {role: ["https://w3id.org/agora/role/utility"],
        city: ["<ID>place/amsterdam"]}) { nodes { iri } }
        useCases(first: 20, filter: {sector: ["energy"], stakeholder: ["<ID>org/hofor"]}) { nodes { iri } }
        concepts(first: 5, filter: {text: "verkeer"}) { nodes { prefLabel } }
        places(first: 20, country: "DNK") { nodes { iri } } }"""))
    assert {n["iri"] for n in data["stakeholders"]["nodes"]} == {ID + "org/alliander", ID + "org/waternet"}
    assert ID + "usecase/multi-city-energy-optimisation" in {n["iri"] for n in data["useCases"]["nodes"]}
    assert data["concepts"]["nodes"]
    assert {ID + "place/copenhagen", ID + "place/nordhavn"} <= {n["iri"] for n in data["places"]["nodes"]}


# -- Relay nodes and sources ---------------------------------------------------------------------


def test_node_by_global_id(client: TestClient) -> None:
    ids = gql(client, expand("""{ dataset(iri: "<TRAFFIC_NL>") { id publisher { id } } }"""))["dataset"]
    q = "query($id: ID!) { node(id: $id) { __typename id ... on Resource { iri } ... on Stakeholder { name } } }"
    node = gql(client, q, {"id": ids["id"]})["node"]
    assert node == {"__typename": "Dataset", "id": ids["id"], "iri": TRAFFIC_NL}
    pub = gql(client, q, {"id": ids["publisher"]["id"]})["node"]
    assert pub["__typename"] == "Stakeholder" and pub["name"] == "City of Amsterdam"
    wrong_type = base64.b64encode(f"Dataset:{AMSTERDAM}".encode()).decode()
    assert gql(client, q, {"id": wrong_type})["node"] is None
    assert "errors" in gql(client, q, {"id": "bm90LWFuLWlk"}, errors=True)


def test_sources_with_provenance_and_validation(client: TestClient) -> None:
    data = gql(client, """{ sources(first: 50, includeSystem: false) { totalCount nodes { id name iri
        current { number triples loadedBy validation warnings } } }
        source(name: "amsterdam") { validationSummary { severity count message path focusNodes } } }""")
    sources = {s["name"]: s for s in data["sources"]["nodes"]}
    assert set(sources) == {"amsterdam", "antwerp", "copenhagen", "florence", "malmo", "policies", "stakeholders",
                            "usecases"}
    ams = sources["amsterdam"]
    assert ams["current"]["validation"] == "warnings" and ams["current"]["warnings"] > 0
    assert ams["current"]["triples"] > 1000 and ams["iri"].endswith("/graph/amsterdam")
    groups = data["source"]["validationSummary"]
    assert groups and all(g["severity"] == "Warning" and g["message"] and g["count"] >= 1 for g in groups)
    assert sum(g["count"] for g in groups) == ams["current"]["warnings"]
    assert any(g["path"] == "http://purl.org/dc/terms/description" and g["focusNodes"] for g in groups)
    node = gql(client, "query($id: ID!) { node(id: $id) { ... on Source { name } } }", {"id": ams["id"]})
    assert node["node"] == {"name": "amsterdam"}


def test_literals_come_back_as_loaded(client: TestClient) -> None:
    dist = gql(client, expand('{ resource(iri: "<ID>amsterdam/distribution/verkeersintensiteiten-csv") { ... on '
                              'Distribution { byteSize } } }'))["resource"]
    assert dist == {"byteSize": "28330917"}


# -- no N+1 --------------------------------------------------------------------------------------


PAGE = """query($n: Int!) { datasets(first: $n) { edges { node { title publisher { name }
    themes { nodes { label } } distributions { nodes { format { label } license { label } } } } } } }"""


def test_store_queries_do_not_grow_with_the_page(client: TestClient) -> None:
    gql(client, PAGE, {"n": 100})  # warm the sorted list of datasets (cached until the next write)
    counts = {}
    for n in (5, 100):
        with counting_queries(client) as shim:
            data = gql(client, PAGE, {"n": n})
        assert len(data["datasets"]["edges"]) == n
        counts[n] = len(shim.queries)
    assert counts[5] == counts[100] <= 4, counts
    # Lazy paths (no look-ahead: nested lists under every item) are batched as well.
    nested = """query($n: Int!) { datasets(first: $n) { nodes { publisher { datasets(first: 3) { nodes {
        title } } } usedBy { nodes { title } } } } }"""
    for n in (5, 100):
        with counting_queries(client) as shim:
            gql(client, nested, {"n": n})
        counts[n] = len(shim.queries)
    assert counts[5] == counts[100] <= 8, counts
