"""The demo catalog in data/: size, realism, self-containment and conformance.

The demo is what a visitor sees first, so it must be big and varied enough to learn from (several
cities and countries, many sectors, stakeholders, use cases and policies), and it must conform to
the official DCAT-AP 3.0.1 shapes and to Agora's own profiles. Each data file is one source (one
named graph), so each must also stand on its own where the loader validates it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, SKOS

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = REPO / "data"
ONTOLOGY_DIR = REPO / "ontology"
VOCAB_DIR = ONTOLOGY_DIR / "vocabularies"
SHAPES_DIR = REPO / "shapes"
DCAT_AP_SHACL = Path(__file__).parents[1].parent / "shared/reference/dcat-ap/releases/3.0.1/html/shacl"

AGORA = Namespace("https://w3id.org/agora/ns#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
SH = Namespace("http://www.w3.org/ns/shacl#")
SECTOR = "https://w3id.org/agora/sector/"
PURPOSE = Namespace("https://w3id.org/agora/purpose/")
ID = "https://agora.example.org/id/"
DATA_THEME_SCHEME = URIRef("http://publications.europa.eu/resource/authority/data-theme")
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
ADMS_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
POLICY_CLASSES = (ODRL.Policy, ODRL.Set, ODRL.Offer, ODRL.Agreement)
MAPPINGS = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch)
CITY_FILES = ["copenhagen", "malmo", "amsterdam", "florence", "antwerp"]

pytestmark = pytest.mark.skipif(not sorted(DATA_DIR.glob("*.ttl")), reason="no demo data in data/")


def parse(paths: list[Path]) -> Graph:
    g = Graph()
    for p in paths:
        g.parse(p, format="turtle")
    return g


def data_files() -> list[Path]:
    return sorted(DATA_DIR.glob("*.ttl"))


def vocabulary_files() -> list[Path]:
    return sorted(VOCAB_DIR.glob("*.ttl"))


def ontology_files() -> list[Path]:
    return sorted(ONTOLOGY_DIR.glob("*.ttl"))


@pytest.fixture(scope="module")
def files() -> dict[str, Graph]:
    return {p.stem: parse([p]) for p in data_files()}


@pytest.fixture(scope="module")
def demo(files: dict[str, Graph]) -> Graph:
    g = Graph()
    for part in files.values():
        g += part
    return g


@pytest.fixture(scope="module")
def vocabularies() -> Graph:
    return parse(vocabulary_files())


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return parse(ontology_files())


def violations(data: Graph, shapes: Graph) -> list[str]:
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)
    out = []
    for r in report.subjects(SH.resultSeverity, SH.Violation):
        if (None, SH.detail, r) in report:  # nested details of a reported result
            continue
        out.append(f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)} "
                   f"{report.value(r, SH.value)}: {report.value(r, SH.resultMessage)}")
    return sorted(out)


def dcat_ap_shapes(name: str) -> Graph:
    path = DCAT_AP_SHACL / name
    if not path.is_file():
        pytest.skip(f"official DCAT-AP 3.0.1 shapes not found at {path}")
    return parse([path])


def team_shapes(name: str) -> Graph:
    path = SHAPES_DIR / name
    if not path.is_file():
        pytest.skip(f"{path} is not written yet")
    return parse([path])


def instances(g: Graph, *classes: URIRef) -> set:
    return {s for c in classes for s in g.subjects(RDF.type, c)}


# ---------------------------------------------------------------------------------------------
# size and variety


def test_demo_has_the_expected_files() -> None:
    names = {p.stem for p in data_files()}
    assert {"stakeholders", "policies", "usecases", *CITY_FILES} <= names
    assert (DATA_DIR / "README.md").is_file()


def test_cities_and_countries(demo: Graph) -> None:
    """At least four cities in three countries, each with its own catalog, and a cross-border pair."""
    cities = {o for c in instances(demo, DCAT.Catalog) for o in demo.objects(c, DCTERMS.spatial)}
    countries = {demo.value(c, AGORA.country) for c in cities}
    assert len(cities) >= 4 and None not in countries and len(countries) >= 3, (cities, countries)
    for city in cities:
        assert demo.value(city, DCAT.centroid) is not None and demo.value(city, DCAT.bbox) is not None
        assert len(set(demo.objects(city, SKOS.prefLabel))) >= 2, f"{city} needs labels in several languages"
    use_case_cities = [set(demo.objects(u, AGORA.city)) for u in instances(demo, AGORA.UseCase)]
    assert any(len({demo.value(c, AGORA.country) for c in cs}) >= 2 for cs in use_case_cities), \
        "no cross-border use case"


def test_datasets_and_sectors(demo: Graph) -> None:
    datasets = instances(demo, DCAT.Dataset)
    assert len(datasets) >= 80
    sectors = {o for d in datasets for o in demo.objects(d, AGORA.sector)}
    assert len(sectors) >= 8, sectors
    assert all(str(s).startswith(SECTOR) for s in sectors)


def test_stakeholders_use_cases_policies(demo: Graph) -> None:
    orgs = instances(demo, FOAF.Organization, ORG.Organization)
    assert len(orgs) >= 25
    for o in orgs:
        assert demo.value(o, FOAF.name) is not None, o
        assert str(demo.value(o, DCTERMS.type)).startswith(ADMS_PUBLISHER_TYPE), o
    assert len(instances(demo, AGORA.UseCase)) >= 8
    assert len(instances(demo, *POLICY_CLASSES)) >= 10
    assert len(instances(demo, AGORA.LocalDigitalTwin)) >= 2
    assert len(instances(demo, AGORA.DataSpace)) >= 1


def test_every_dataset_can_be_obtained(demo: Graph) -> None:
    """A dataset has a distribution with an access URL, or a data service that serves it."""
    served = set(demo.objects(None, DCAT.servesDataset))
    for d in instances(demo, DCAT.Dataset):
        dists = list(demo.objects(d, DCAT.distribution))
        assert dists or d in served, f"{d} has neither a distribution nor a serving data service"
        for dist in dists:
            assert demo.value(dist, DCAT.accessURL) is not None, dist


def test_dataset_metadata_is_complete(demo: Graph) -> None:
    """The properties the demo promises on every dataset (beyond DCAT-AP's mandatory ones)."""
    required = (DCTERMS.title, DCTERMS.description, DCTERMS.identifier, DCTERMS.publisher, DCAT.contactPoint,
                DCAT.keyword, DCAT.theme, DCTERMS.spatial, DCTERMS.temporal, DCTERMS.issued, DCTERMS.modified,
                DCTERMS.accrualPeriodicity, AGORA.sector)
    for d in instances(demo, DCAT.Dataset):
        missing = [p for p in required if demo.value(d, p) is None]
        assert not missing, f"{d} lacks {missing}"
        contact = demo.value(d, DCAT.contactPoint)
        assert str(demo.value(contact, URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"))).startswith("mailto:")
        period = demo.value(d, DCTERMS.temporal)
        assert demo.value(period, DCAT.startDate) is not None and demo.value(period, DCAT.endDate) is not None


def test_local_vocabularies(demo: Graph) -> None:
    """Each catalog has its own concept scheme in the local language, mapped to the Agora sectors; its
    datasets use both an EU data theme and a local concept, and local-language keywords."""
    for catalog in instances(demo, DCAT.Catalog):
        schemes = set(demo.objects(catalog, DCAT.themeTaxonomy)) - {DATA_THEME_SCHEME}
        assert schemes, f"{catalog} has no local concept scheme"
        local = {c for s in schemes for c in demo.subjects(SKOS.inScheme, s)}
        languages = {lbl.language for c in local for lbl in demo.objects(c, SKOS.prefLabel)}
        assert len(local) >= 5 and languages and "en" not in languages, (catalog, languages)
        mapped = {c for c in local for m in MAPPINGS for t in demo.objects(c, m) if str(t).startswith(SECTOR)}
        assert len(mapped) == len(local), f"unmapped local concepts: {sorted(local - mapped)}"
        for d in demo.objects(catalog, DCAT.dataset):
            themes = set(demo.objects(d, DCAT.theme))
            assert any(str(t).startswith(EU_AUTHORITY + "data-theme/") for t in themes), d
            assert themes & local, f"{d} uses no concept of its catalog's own vocabulary"
            assert {k.language for k in demo.objects(d, DCAT.keyword)} & languages, d
    cross = [(s, o) for m in MAPPINGS for s, o in demo.subject_objects(m)
             if str(o).startswith(ID) and str(o).split("/")[4] != str(s).split("/")[4]]
    assert len(cross) >= 10, "cities' vocabularies should also be mapped to each other"


# ---------------------------------------------------------------------------------------------
# identity and self-containment


def test_identifiers_are_unique(demo: Graph) -> None:
    ids = Counter(str(o) for o in demo.objects(None, DCTERMS.identifier))
    assert not [i for i, n in ids.items() if n > 1]


def test_publishers_are_defined_in_the_same_file(files: dict[str, Graph]) -> None:
    for name, g in files.items():
        for d in instances(g, DCAT.Dataset, DCAT.DataService, DCAT.Catalog):
            pub = g.value(d, DCTERMS.publisher)
            assert (pub, RDF.type, FOAF.Agent) in g, f"{name}: publisher {pub} of {d} is not a foaf:Agent here"
            assert isinstance(g.value(pub, FOAF.name), Literal), f"{name}: {pub} has no foaf:name here"


def test_policies_have_their_own_uid(demo: Graph) -> None:
    for p in instances(demo, *POLICY_CLASSES):
        assert list(demo.objects(p, ODRL.uid)) == [p], p


def test_eu_vocabulary_terms_are_shipped(demo: Graph, vocabularies: Graph) -> None:
    """Every EU authority, ADMS and IANA term the demo uses is in ontology/vocabularies, typed."""
    used = {o for o in demo.objects() if isinstance(o, URIRef)
            and str(o).startswith((EU_AUTHORITY, ADMS_PUBLISHER_TYPE, IANA))}
    missing = sorted(str(t) for t in used if (t, RDF.type, None) not in vocabularies)
    assert not missing


def test_agora_terms_exist_in_the_ontology(demo: Graph, ontology: Graph) -> None:
    if not ontology_files():
        pytest.skip("ontology/*.ttl not written yet")
    namespaces = ("https://w3id.org/agora/sector/", "https://w3id.org/agora/role/", "https://w3id.org/agora/purpose/",
                  "https://w3id.org/agora/status/", str(AGORA))
    used = {t for triple in demo for t in triple if isinstance(t, URIRef) and str(t).startswith(namespaces)}
    missing = sorted(str(t) for t in used if (t, None, None) not in ontology)
    assert not missing


# ---------------------------------------------------------------------------------------------
# policies and data flows


def purposes_within(ontology: Graph, purpose: URIRef) -> set:
    """The purpose and everything broader (a request for it satisfies odrl:isA on any of these)."""
    out, todo = set(), [purpose]
    while todo:
        p = todo.pop()
        if p not in out:
            out.add(p)
            todo.extend(ontology.objects(p, SKOS.broader))
    return out


def rule_applies(demo: Graph, ontology: Graph, rule, party: URIRef, purpose: URIRef) -> bool:
    assignee = demo.value(rule, ODRL.assignee)
    if assignee is not None and assignee != party and (party, ODRL.partOf, assignee) not in demo:
        return False
    for c in demo.objects(rule, ODRL.constraint):
        if demo.value(c, ODRL.leftOperand) == ODRL.purpose and \
                demo.value(c, ODRL.rightOperand) not in purposes_within(ontology, purpose):
            return False
    return True


def test_data_flows_respect_their_policies(demo: Graph, ontology: Graph) -> None:
    """Every data flow's dataset is a target of its policy, some permission lets the recipient use it for
    the flow's purpose, and no prohibition of use forbids it (only purpose constraints are evaluated)."""
    if not ontology_files():
        pytest.skip("ontology/*.ttl not written yet")
    flows = list(demo.objects(None, AGORA.dataFlow))
    assert len(flows) >= 10
    for f in flows:
        policy, ds = demo.value(f, AGORA.governedBy), demo.value(f, AGORA.flowDataset)
        recipient, purpose = demo.value(f, AGORA.recipient), demo.value(f, AGORA.purpose)
        perms, prohibs = ([r for r in demo.objects(policy, kind)
                           if (r, ODRL.target, ds) in demo and (r, ODRL.action, ODRL.use) in demo]
                          for kind in (ODRL.permission, ODRL.prohibition))
        assert perms, f"{policy} does not target {ds}"
        assert any(rule_applies(demo, ontology, r, recipient, purpose) for r in perms), (policy, recipient, purpose)
        assert not any(rule_applies(demo, ontology, r, recipient, purpose) for r in prohibs), (policy, recipient)


def test_e_scooter_policy_contract(demo: Graph) -> None:
    """The case the policy engine tests rely on: the operator's trip data may be used by the city for
    urban planning (permission), by nobody for marketing (prohibition without assignee)."""
    policy = URIRef(ID + "policy/voltway-trip-data")
    target = URIRef(ID + "antwerp/dataset/deelsteps-ritten")
    (perm,) = demo.objects(policy, ODRL.permission)
    (prohib,) = demo.objects(policy, ODRL.prohibition)
    assert demo.value(perm, ODRL.assignee) == URIRef(ID + "org/stad-antwerpen")
    assert demo.value(prohib, ODRL.assignee) is None
    for rule, purpose in ((perm, PURPOSE["urban-planning"]), (prohib, PURPOSE.marketing)):
        assert demo.value(rule, ODRL.target) == target and demo.value(rule, ODRL.action) == ODRL.use
        (c,) = demo.objects(rule, ODRL.constraint)
        assert (demo.value(c, ODRL.leftOperand), demo.value(c, ODRL.operator), demo.value(c, ODRL.rightOperand)) == \
            (ODRL.purpose, ODRL.isA, purpose)
    assert (target, ODRL.hasPolicy, policy) in demo
    assert (URIRef(ID + "org/adpulse-media"), RDF.type, FOAF.Organization) in demo


# ---------------------------------------------------------------------------------------------
# conformance


def test_conforms_to_official_dcat_ap_shapes(demo: Graph) -> None:
    assert violations(demo, dcat_ap_shapes("shapes.ttl")) == []


@pytest.mark.parametrize("name", [p.stem for p in data_files()])
def test_each_file_conforms_to_official_dcat_ap_shapes_alone(files: dict[str, Graph], name: str) -> None:
    assert violations(files[name], dcat_ap_shapes("shapes.ttl")) == []


def test_conforms_to_official_dcat_ap_ranges_with_shipped_vocabularies(demo: Graph, vocabularies: Graph) -> None:
    assert violations(demo + vocabularies, dcat_ap_shapes("range.ttl")) == []


def test_conforms_to_official_controlled_vocabulary_shapes(demo: Graph, vocabularies: Graph) -> None:
    """Frequencies, formats, languages, media types and publisher types come from the EU/ADMS/IANA lists
    (local themes, city places and non-EU publishers only give the warnings DCAT-AP intends)."""
    assert violations(demo + vocabularies, dcat_ap_shapes("mdr-vocabularies.shape.ttl")) == []


@pytest.mark.parametrize("shapes", ["dcat-ap-3.ttl", "agora.ttl"])
def test_conforms_to_agora_profiles(demo: Graph, vocabularies: Graph, ontology: Graph, shapes: str) -> None:
    assert violations(demo + vocabularies + ontology, team_shapes(shapes)) == []


def test_sources_validate_one_by_one(files: dict[str, Graph], vocabularies: Graph, ontology: Graph) -> None:
    """As the demo loader does it: each file is validated on its own, with the ontology, the vocabularies
    and the files loaded before it as background for rdf:type lookups. The city catalogs and the
    policies need only the vocabularies, so they load in any order; stakeholders.ttl (local digital
    twins and data spaces point at datasets and catalogs) and usecases.ttl must come after them."""
    shacl = pytest.importorskip("agora.kg.shacl")
    demo_loader = pytest.importorskip("agora.kg.demo")
    validator = shacl.Validator(team_shapes("dcat-ap-3.ttl") + team_shapes("agora.ttl"))
    base = vocabularies + ontology
    for name in [*CITY_FILES, "policies"]:
        report = validator.validate_graph(files[name], background=base)
        assert not report.violations, f"{name} alone: {report.violations[:3]}"
    order = [n for n in demo_loader.ORDER if n in files] + sorted(set(files) - set(demo_loader.ORDER))
    background = base
    for name in order:
        report = validator.validate_graph(files[name], background=background)
        assert not report.violations, f"{name} after {order[:order.index(name)]}: {report.violations[:3]}"
        background = background + files[name]
