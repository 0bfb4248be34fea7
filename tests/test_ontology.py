"""The Agora ontology and concept schemes: OWL 2 consistency (HermiT), the binding namespace
contract the demo data relies on, multilingual labelling, and SKOS integrity.

The reasoner runs in a fresh owlready2 World per check so that one test's axioms never leak into
another's. Each reasoner run takes 1-3 s.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import owlready2
import pytest
from rdflib import OWL, RDF, RDFS, SKOS, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

REPO = Path(__file__).resolve().parents[1]
ONTOLOGY_DIR = REPO / "ontology"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"

AGORA = Namespace("https://w3id.org/agora/ns#")
ONTOLOGY_IRI = URIRef("https://w3id.org/agora/ns")
DCT = Namespace("http://purl.org/dc/terms/")
DPV = "https://w3id.org/dpv#"
DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
EU_DATA_THEMES = {"AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "OP_DATPRO",
                  "REGI", "SOCI", "TECH", "TRAN"}

LABEL_LANGUAGES = ("en", "da", "nl", "it", "de")
SECTOR_LANGUAGES = (*LABEL_LANGUAGES, "sv")

SECTORS = ["mobility", "parking", "air-quality", "noise", "energy", "heat", "water", "waste", "buildings",
           "tourism", "public-safety", "health", "economy", "governance", "environment"]
ROLES = ["public-authority", "data-holder", "data-user", "data-intermediary", "data-altruism-organisation",
         "research-organisation", "technology-provider", "citizen-group", "mobility-operator", "utility"]
PURPOSES = ["public-interest", "urban-planning", "traffic-management", "emergency-response",
            "energy-optimisation", "climate-adaptation", "tourism-management", "scientific-research",
            "commercial", "marketing", "service-improvement", "statistics"]
PURPOSE_BROADER = {
    "urban-planning": "public-interest", "traffic-management": "public-interest",
    "emergency-response": "public-interest", "energy-optimisation": "public-interest",
    "climate-adaptation": "public-interest", "tourism-management": "public-interest",
    "statistics": "public-interest", "marketing": "commercial",
}
STATUSES = ["planned", "pilot", "active", "completed"]

SCHEMES = {
    "sector": (AGORA.Sector, SECTORS),
    "role": (AGORA.StakeholderRole, ROLES),
    "purpose": (AGORA.Purpose, PURPOSES),
    "status": (AGORA.UseCaseStatus, STATUSES),
}

CONTRACT_CLASSES = ["UseCase", "DataSpace", "LocalDigitalTwin", "Participation", "DataFlow", "Sector",
                    "StakeholderRole", "Purpose", "UseCaseStatus"]
CONTRACT_OBJECT_PROPERTIES = ["status", "sector", "city", "participation", "participant", "role", "hasRole",
                              "usesDataset", "usesService", "dataFlow", "flowDataset", "provider",
                              "recipient", "governedBy", "purpose", "twinOf", "fedBy", "memberOf", "country"]
CONTRACT_DATATYPE_PROPERTIES = ["goal", "outcome"]
ADDED_OBJECT_PROPERTIES = ["feeds", "hasMember", "usesTwin", "inDataSpace", "hasCatalog",
                           "governanceAuthority"]


# ---------------------------------------------------------------------------------------------
# helpers


def ontology_files() -> list[Path]:
    return sorted(ONTOLOGY_DIR.glob("*.ttl"))


def load_ontology(extra: Iterable[Path] = ()) -> Graph:
    g = Graph()
    for f in [*ontology_files(), *extra]:
        g.parse(f, format="turtle")
    return g


@pytest.fixture(scope="module")
def onto() -> Graph:
    return load_ontology()


def concept(scheme: str, slug: str) -> URIRef:
    return URIRef(f"https://w3id.org/agora/{scheme}/{slug}")


def scheme_iri(scheme: str) -> URIRef:
    return URIRef(f"https://w3id.org/agora/{scheme}")


def langs(g: Graph, s: Node, p: URIRef) -> Counter[str]:
    return Counter(o.language or "" for o in g.objects(s, p) if isinstance(o, Literal))


def run_hermit(g: Graph, tmp_path: Path) -> owlready2.World:
    """Reason over ``g`` with HermiT; raises OwlReadyInconsistentOntologyError if it is inconsistent.

    N-Triples is the exchange format because owlready2 parses it natively and it cannot drift
    from what rdflib parsed.
    """
    java = shutil.which("java")
    if java is None:
        pytest.skip("HermiT needs a Java runtime")
    owlready2.JAVA_EXE = java
    path = tmp_path / "agora.nt"
    g.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    return world


# ---------------------------------------------------------------------------------------------
# OWL consistency


def test_all_ontology_files_parse() -> None:
    names = {f.name for f in ontology_files()}
    assert {"agora.ttl", "sectors.ttl", "roles.ttl", "purposes.ttl", "status.ttl"} <= names
    for f in ontology_files():
        assert len(Graph().parse(f, format="turtle")) > 0, f


def test_ontology_is_consistent_under_hermit(onto: Graph, tmp_path: Path) -> None:
    try:
        world = run_hermit(onto, tmp_path)
    except owlready2.OwlReadyInconsistentOntologyError:  # pragma: no cover - the failure we guard
        pytest.fail("HermiT finds the Agora ontology and concept schemes inconsistent")
    unsatisfiable = [c.iri for c in world.inconsistent_classes()]
    assert unsatisfiable == [], f"unsatisfiable classes: {unsatisfiable}"


def test_ontology_with_valid_data_is_consistent(tmp_path: Path) -> None:
    """Domains, ranges and inverses must not turn correct Agora data into a contradiction."""
    data = [FIXTURES / f"{n}.ttl" for n in ("valid-catalog", "valid-usecase", "valid-policies")]
    try:
        world = run_hermit(load_ontology(data), tmp_path)
    except owlready2.OwlReadyInconsistentOntologyError:  # pragma: no cover - the failure we guard
        pytest.fail("the ontology plus the valid fixtures is inconsistent")
    assert list(world.inconsistent_classes()) == []


def demo_data_files() -> list[Path]:
    data = REPO / "data"
    return sorted([*data.glob("*.ttl"), *data.glob("*.trig")]) if data.is_dir() else []


def test_ontology_with_vocabularies_and_demo_data_is_consistent(tmp_path: Path) -> None:
    """The shipped EU vocabularies and the demo catalogue use Agora's terms without contradiction."""
    files = demo_data_files()
    if not files:
        pytest.skip("no demo data in data/")
    g = load_ontology(sorted((ONTOLOGY_DIR / "vocabularies").glob("*.ttl")))
    for f in files:
        if f.suffix == ".trig":
            ds = Dataset()
            ds.parse(f, format="trig")
            for s, p, o, _ in ds.quads():
                g.add((s, p, o))
        else:
            g.parse(f, format="turtle")
    try:
        world = run_hermit(g, tmp_path)
    except owlready2.OwlReadyInconsistentOntologyError:  # pragma: no cover - the failure we guard
        pytest.fail("the ontology plus the vocabularies and demo data is inconsistent")
    assert list(world.inconsistent_classes()) == []


def test_consistency_check_can_fail(onto: Graph, tmp_path: Path) -> None:
    """Guards the guard: the harness must report an inconsistency when there is one."""
    broken = Graph()
    for t in onto:
        broken.add(t)
    broken.add((URIRef("https://example.org/contradiction"), RDF.type, OWL.Nothing))
    with pytest.raises(owlready2.OwlReadyInconsistentOntologyError):
        run_hermit(broken, tmp_path)


def test_no_axioms_that_data_can_contradict(onto: Graph) -> None:
    """Cardinalities and disjointness belong in SHACL: in OWL they would make bad data inconsistent
    (or silently merge individuals) instead of producing a report."""
    forbidden_types = {OWL.FunctionalProperty, OWL.InverseFunctionalProperty, OWL.AllDisjointClasses,
                       OWL.AllDisjointProperties, OWL.AllDifferent, OWL.AsymmetricProperty,
                       OWL.IrreflexiveProperty}
    assert not [s for s, o in onto.subject_objects(RDF.type) if o in forbidden_types]
    forbidden_predicates = {OWL.disjointWith, OWL.propertyDisjointWith, OWL.disjointUnionOf,
                            OWL.cardinality, OWL.maxCardinality, OWL.minCardinality,
                            OWL.qualifiedCardinality, OWL.maxQualifiedCardinality, OWL.hasKey,
                            OWL.differentFrom, OWL.complementOf}
    assert not [t for t in onto if t[1] in forbidden_predicates]


def test_no_property_punning(onto: Graph) -> None:
    """OWL 2 DL forbids one IRI being two kinds of property (e.g. dct:title as annotation and data)."""
    kinds = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    for kind in kinds:
        for other in kinds:
            if kind != other:
                both = set(onto.subjects(RDF.type, kind)) & set(onto.subjects(RDF.type, other))
                assert not both, f"{both} typed both {kind} and {other}"
    classes = set(onto.subjects(RDF.type, OWL.Class))
    properties = {s for k in kinds for s in onto.subjects(RDF.type, k)}
    assert not classes & properties


def test_concepts_are_individuals_not_classes(onto: Graph) -> None:
    classes = set(onto.subjects(RDF.type, OWL.Class))
    concepts = set(onto.subjects(RDF.type, SKOS.Concept)) | set(onto.subjects(RDF.type, SKOS.ConceptScheme))
    assert concepts, "no concepts found"
    assert not classes & concepts


# ---------------------------------------------------------------------------------------------
# the namespace contract


def test_ontology_header(onto: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in onto
    assert onto.value(ONTOLOGY_IRI, OWL.versionInfo) is not None
    assert langs(onto, ONTOLOGY_IRI, DCT.title)["en"] == 1
    assert list(onto.subjects(RDF.type, OWL.Ontology)) == [ONTOLOGY_IRI], "one ontology header only"


@pytest.mark.parametrize("name", CONTRACT_CLASSES)
def test_contract_classes(onto: Graph, name: str) -> None:
    assert (AGORA[name], RDF.type, OWL.Class) in onto


@pytest.mark.parametrize("name", ["Sector", "StakeholderRole", "Purpose", "UseCaseStatus"])
def test_concept_classes_are_skos_concepts(onto: Graph, name: str) -> None:
    assert (AGORA[name], RDFS.subClassOf, SKOS.Concept) in onto


@pytest.mark.parametrize("name", CONTRACT_OBJECT_PROPERTIES + ADDED_OBJECT_PROPERTIES)
def test_object_properties(onto: Graph, name: str) -> None:
    assert (AGORA[name], RDF.type, OWL.ObjectProperty) in onto


@pytest.mark.parametrize("name", CONTRACT_DATATYPE_PROPERTIES)
def test_datatype_properties(onto: Graph, name: str) -> None:
    assert (AGORA[name], RDF.type, OWL.DatatypeProperty) in onto


@pytest.mark.parametrize(("prop", "cls"), [
    ("status", AGORA.UseCaseStatus), ("sector", AGORA.Sector), ("role", AGORA.StakeholderRole),
    ("hasRole", AGORA.StakeholderRole), ("purpose", AGORA.Purpose), ("participant", URIRef(
        "http://xmlns.com/foaf/0.1/Agent")), ("city", DCT.Location), ("twinOf", DCT.Location),
    ("governedBy", URIRef("http://www.w3.org/ns/odrl/2/Policy")), ("memberOf", AGORA.DataSpace),
])
def test_ranges_follow_the_contract(onto: Graph, prop: str, cls: URIRef) -> None:
    assert (AGORA[prop], RDFS.range, cls) in onto


def test_inverse_pairs(onto: Graph) -> None:
    assert (AGORA.fedBy, OWL.inverseOf, AGORA.feeds) in onto
    assert (AGORA.memberOf, OWL.inverseOf, AGORA.hasMember) in onto


def test_every_agora_term_is_labelled_and_defined(onto: Graph) -> None:
    terms = {s for s in onto.subjects() if isinstance(s, URIRef) and s.startswith(str(AGORA))}
    assert len(terms) >= len(CONTRACT_CLASSES) + len(CONTRACT_OBJECT_PROPERTIES) + 2
    for term in sorted(terms):
        labels = langs(onto, term, RDFS.label)
        missing = [lang for lang in LABEL_LANGUAGES if labels[lang] != 1]
        assert not missing, f"{term}: needs exactly one rdfs:label in {missing}"
        definitions = [o for p in (SKOS.definition, RDFS.comment) for o in onto.objects(term, p)
                       if isinstance(o, Literal) and o.language == "en"]
        assert definitions, f"{term}: needs an English skos:definition or rdfs:comment"
        assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in onto, term


def test_external_terms_are_declared_not_redefined(onto: Graph) -> None:
    """Agora may type and subclass external terms, but never gives them definitions of its own."""
    external = {s for s in onto.subjects(RDF.type, OWL.Class) if not str(s).startswith(str(AGORA))}
    assert URIRef("http://www.w3.org/ns/dcat#Dataset") in external
    for term in external:
        assert onto.value(term, SKOS.definition) is None, term


# ---------------------------------------------------------------------------------------------
# concept schemes


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_scheme_members(onto: Graph, scheme: str) -> None:
    cls, slugs = SCHEMES[scheme]
    s_iri = scheme_iri(scheme)
    assert (s_iri, RDF.type, SKOS.ConceptScheme) in onto
    assert langs(onto, s_iri, DCT.title)["en"] == 1, "DCAT-AP requires a title on concept schemes"
    members = set(onto.subjects(SKOS.inScheme, s_iri))
    assert members == {concept(scheme, s) for s in slugs}, "scheme members differ from the contract"
    for slug in slugs:
        c = concept(scheme, slug)
        assert (c, RDF.type, SKOS.Concept) in onto, c
        assert (c, RDF.type, cls) in onto, c
        assert str(onto.value(c, SKOS.notation)) == slug, c
        labels = langs(onto, c, SKOS.prefLabel)
        required = SECTOR_LANGUAGES if scheme == "sector" else LABEL_LANGUAGES
        assert all(labels[lang] == 1 for lang in required), f"{c}: prefLabels {dict(labels)}"
        assert langs(onto, c, SKOS.definition)["en"] == 1, f"{c}: needs an English definition"
        assert langs(onto, c, SKOS.altLabel), f"{c}: needs synonyms (skos:altLabel)"


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_top_concepts(onto: Graph, scheme: str) -> None:
    s_iri = scheme_iri(scheme)
    tops = set(onto.subjects(SKOS.topConceptOf, s_iri))
    assert tops == set(onto.objects(s_iri, SKOS.hasTopConcept))
    for c in onto.subjects(SKOS.inScheme, s_iri):
        has_broader = onto.value(c, SKOS.broader) is not None
        assert has_broader != (c in tops), f"{c}: a concept is either a top concept or has a broader one"


def test_sectors_map_to_eu_data_themes(onto: Graph) -> None:
    mappings = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch)
    used: set[str] = set()
    for slug in SECTORS:
        c = concept("sector", slug)
        targets = [str(o) for p in mappings for o in onto.objects(c, p) if str(o).startswith(DATA_THEME)]
        assert targets, f"{c}: no exact/close/broad match to the EU data-theme vocabulary"
        used.update(t.removeprefix(DATA_THEME) for t in targets)
    assert used <= EU_DATA_THEMES, f"unofficial data-theme codes: {used - EU_DATA_THEMES}"
    related = {str(o).removeprefix(DATA_THEME) for o in onto.objects(None, SKOS.relatedMatch)
               if str(o).startswith(DATA_THEME)}
    assert related <= EU_DATA_THEMES


def test_sector_synonyms_cover_every_language(onto: Graph) -> None:
    for slug in SECTORS:
        alt = langs(onto, concept("sector", slug), SKOS.altLabel)
        assert all(alt[lang] for lang in SECTOR_LANGUAGES), f"{slug}: altLabels {dict(alt)}"
    mobility = {str(o) for o in onto.objects(concept("sector", "mobility"), SKOS.altLabel)}
    assert {"traffic", "transport", "verkeer", "trafik", "traffico", "Verkehr"} <= mobility


def test_purpose_hierarchy(onto: Graph) -> None:
    for slug in PURPOSES:
        broader = {str(o) for o in onto.objects(concept("purpose", slug), SKOS.broader)}
        expected = {str(concept("purpose", PURPOSE_BROADER[slug]))} if slug in PURPOSE_BROADER else set()
        assert broader == expected, slug


def test_purposes_map_to_dpv(onto: Graph) -> None:
    mappings = (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch)
    for slug in PURPOSES:
        targets = [o for p in mappings for o in onto.objects(concept("purpose", slug), p)]
        assert any(str(t).startswith(DPV) for t in targets), f"{slug}: no DPV mapping"
    expected = {"scientific-research": "ScientificResearch", "commercial": "CommercialPurpose",
                "marketing": "Marketing"}
    for slug, dpv in expected.items():
        assert (concept("purpose", slug), SKOS.exactMatch, URIRef(DPV + dpv)) in onto
    assert (concept("purpose", "service-improvement"), SKOS.closeMatch,
            URIRef(DPV + "ServiceOptimisation")) in onto
    assert (concept("purpose", "scientific-research"), SKOS.broadMatch,
            URIRef(DPV + "ResearchAndDevelopment")) in onto


def test_skos_label_integrity(onto: Graph) -> None:
    """SKOS S14 (one prefLabel per language) and S13 (prefLabel and altLabel disjoint)."""
    for c in set(onto.subjects(RDF.type, SKOS.Concept)) | set(onto.subjects(RDF.type, SKOS.ConceptScheme)):
        pref = langs(onto, c, SKOS.prefLabel)
        assert all(n == 1 for n in pref.values()), f"{c}: {dict(pref)}"
        prefs = {(str(o), o.language) for o in onto.objects(c, SKOS.prefLabel)}
        alts = [(str(o), o.language) for o in onto.objects(c, SKOS.altLabel)]
        assert not prefs & set(alts), f"{c}: a label is both preferred and alternative"
        assert len(alts) == len(set(alts)), f"{c}: duplicate altLabels"


def test_mapping_targets_are_external(onto: Graph) -> None:
    """Mapping properties link across schemes; links inside a scheme use broader/related."""
    for p in (SKOS.exactMatch, SKOS.closeMatch, SKOS.broadMatch, SKOS.narrowMatch, SKOS.relatedMatch):
        for s, o in onto.subject_objects(p):
            assert not str(o).startswith("https://w3id.org/agora/"), (s, p, o)
