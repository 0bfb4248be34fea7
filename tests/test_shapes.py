"""The Agora SHACL shapes (shapes/dcat-ap-3.ttl and shapes/agora.ttl).

Every fixture is validated with pyshacl, the reference engine, and the complete set of top-level
results is compared with what the fixture is written to produce: the focus node, the path, the
severity and the shape that reports it. Comparing the whole set (not "contains") is what proves
the shapes neither miss a defect nor report a correct resource. The ontology and concept schemes
are merged into the data graph, as Agora's loader offers them as background knowledge: sh:class
checks on sectors, roles, purposes and statuses need their types.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

REPO = Path(__file__).resolve().parents[1]
SHAPES_DIR = REPO / "shapes"
ONTOLOGY_DIR = REPO / "ontology"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "shapes"
SHAPE_FILES = ("dcat-ap-3.ttl", "agora.ttl")

SH = Namespace("http://www.w3.org/ns/shacl#")
D = Namespace("https://w3id.org/agora/shapes/dcat-ap-3#")
A = Namespace("https://w3id.org/agora/shapes/agora#")
EX = Namespace("https://example.org/agora/")
AGORA = Namespace("https://w3id.org/agora/ns#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
V, W = SH.Violation, SH.Warning

Key = tuple[Node, Node | None, Node, Node]
"""(focus node, result path or None for node-level results, severity, source shape)."""

TARGET_PREDICATES = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)
LOGICAL = (SH["or"], SH["and"], SH.xone)


# ---------------------------------------------------------------------------------------------
# helpers


def parse(paths: Iterable[Path]) -> Graph:
    g = Graph()
    for p in paths:
        g.parse(p, format="turtle")
    return g


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return parse(SHAPES_DIR / f for f in SHAPE_FILES)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return parse(sorted(ONTOLOGY_DIR.glob("*.ttl")))


def fixture_graph(names: Iterable[str]) -> Graph:
    return parse(FIXTURES / f"{n}.ttl" for n in names)


def validate(data: Graph, shapes: Graph, ontology: Graph | None) -> tuple[set[Key], Graph]:
    """Top-level results only: pyshacl also types nested sh:detail results as sh:ValidationResult."""
    merged = Graph()
    for g in (data, ontology) if ontology is not None else (data,):
        for t in g:
            merged.add(t)
    _, report, _ = pyshacl.validate(merged, shacl_graph=shapes, ont_graph=ontology, inference="none",
                                    advanced=False)
    keys: set[Key] = set()
    for rep in report.subjects(RDF.type, SH.ValidationReport):
        for r in report.objects(rep, SH.result):
            path = report.value(r, SH.resultPath)
            keys.add((report.value(r, SH.focusNode), path, report.value(r, SH.resultSeverity),
                      report.value(r, SH.sourceShape)))
    return keys, report


def shape_nodes(g: Graph) -> set[Node]:
    """Every shape that can report a result under its own name.

    Typed shapes, targeted shapes, values of sh:property and sh:node, and named members of
    sh:and / sh:or / sh:xone lists. Anonymous members of logical lists (``[ sh:datatype xsd:date ]``)
    are conditions, not shapes a curator sees: SHACL reports their failure through the enclosing
    shape, with the enclosing shape's name, message and severity.
    """
    nodes: set[Node] = set(g.subjects(RDF.type, SH.NodeShape)) | set(g.subjects(RDF.type, SH.PropertyShape))
    for p in TARGET_PREDICATES:
        nodes |= set(g.subjects(p, None))
    nodes |= set(g.objects(None, SH.property)) | set(g.objects(None, SH.node)) | set(g.objects(None, SH["not"]))
    for p in LOGICAL:
        for head in g.objects(None, p):
            nodes |= {m for m in Collection(g, head) if isinstance(m, URIRef)}
    return nodes


# ---------------------------------------------------------------------------------------------
# the shapes files themselves


@pytest.mark.parametrize("name", SHAPE_FILES)
def test_shapes_file_parses(name: str) -> None:
    g = Graph().parse(SHAPES_DIR / name, format="turtle")
    assert len(g) > 100


def test_shapes_are_well_formed_shacl(shapes: Graph) -> None:
    """pyshacl's meta-validation checks the shapes graph against the SHACL-for-SHACL shapes."""
    conforms, _, text = pyshacl.validate(Graph(), shacl_graph=shapes, meta_shacl=True, inference="none")
    assert conforms, text


def test_every_shape_has_name_message_and_severity(shapes: Graph) -> None:
    nodes = shape_nodes(shapes)
    assert len(nodes) > 150
    problems = []
    for n in sorted(nodes, key=str):
        missing = [p for p in ("name", "message", "severity") if shapes.value(n, SH[p]) is None]
        if missing:
            problems.append(f"{n}: missing {', '.join('sh:' + m for m in missing)}")
        if isinstance(n, BNode):
            problems.append(f"{n}: anonymous shape; give it an IRI so reports can name it")
        elif (n, RDF.type, SH.NodeShape) not in shapes and (n, RDF.type, SH.PropertyShape) not in shapes:
            problems.append(f"{n}: not typed sh:NodeShape or sh:PropertyShape")
        severity = shapes.value(n, SH.severity)
        if severity is not None and severity not in (SH.Violation, SH.Warning, SH.Info):
            problems.append(f"{n}: unknown severity {severity}")
    assert not problems, "\n".join(problems)


def test_targeted_shapes_are_described(shapes: Graph) -> None:
    targeted = {s for p in TARGET_PREDICATES for s in shapes.subjects(p, None)}
    assert targeted
    assert not [s for s in targeted if shapes.value(s, SH.description) is None]


def test_property_shapes_are_typed(shapes: Graph) -> None:
    for ps in shapes.objects(None, SH.property):
        assert (ps, RDF.type, SH.PropertyShape) in shapes, ps
        assert shapes.value(ps, SH.path) is not None, ps


def test_only_shacl_core(shapes: Graph) -> None:
    """A fast SHACL Core engine must be able to run every constraint: no SPARQL, JS or rules."""
    advanced = {SH.sparql, SH.select, SH.ask, SH.rule, SH.target, SH.js, SH.jsFunctionName,
                SH.condition, SH.expression, SH.shapesGraph}
    used = {p for _, p, _ in shapes if p in advanced}
    assert not used, f"non-Core SHACL features: {used}"
    assert not set(shapes.subjects(RDF.type, SH.SPARQLConstraint))


def test_messages_are_english_sentences(shapes: Graph) -> None:
    for n in shape_nodes(shapes):
        for m in shapes.objects(n, SH.message):
            assert isinstance(m, Literal) and str(m)[0].isupper() and str(m).endswith("."), (n, m)


# ---------------------------------------------------------------------------------------------
# fixtures: exact expected results

CASES = [
    pytest.param(["valid-catalog"], set(), id="valid-catalog"),
    pytest.param(["valid-catalog", "valid-usecase"], set(), id="valid-usecase"),
    pytest.param(["valid-policies"], set(), id="valid-policies"),
    pytest.param(["valid-catalog", "dataset-missing-title"], {
        (EX.untitled, DCT.title, V, D["Dataset-title"]),
    }, id="dataset-missing-title"),
    pytest.param(["dataset-minimal"], {
        (EX.minimal, p, W, D[f"Dataset-{name}-recommended"]) for p, name in [
            (DCAT.contactPoint, "contactPoint"), (DCAT.distribution, "distribution"),
            (DCAT.keyword, "keyword"), (DCT.publisher, "publisher"), (DCT.spatial, "spatial"),
            (DCT.temporal, "temporal"), (DCAT.theme, "theme")]
    }, id="dataset-minimal-recommended"),
    pytest.param(["valid-catalog", "ranges"], {
        (EX["size-as-string"], DCAT.byteSize, V, D["Distribution-byteSize"]),
        (EX["size-ill-formed"], DCAT.byteSize, V, D["Distribution-byteSize"]),
        (EX["size-negative"], DCAT.byteSize, V, D["Distribution-byteSize"]),
        (EX["url-as-text"], DCAT.accessURL, V, D["Distribution-accessURL"]),
        (EX["no-access-url"], DCAT.accessURL, V, D["Distribution-accessURL"]),
        (EX["format-as-text"], DCT["format"], V, D["Distribution-format"]),
        (EX["dates-as-strings"], DCT.issued, V, D["Dataset-issued"]),
        (EX["dates-as-strings"], DCT.modified, V, D["Dataset-modified"]),
        (EX.resolutions, DCAT.spatialResolutionInMeters, V, D["Dataset-spatialResolution"]),
        (EX.resolutions, DCAT.temporalResolution, V, D["Dataset-temporalResolution"]),
        (EX["two-publishers"], DCT.publisher, V, D["Dataset-publisher"]),
        (EX["theme-as-text"], DCAT.theme, V, D["Dataset-theme"]),
        (EX["theme-as-text"], DCT.description, V, D["Dataset-description"]),
    }, id="datatypes-node-kinds-cardinalities"),
    pytest.param(["agents-and-concepts"], {
        (EX["bare-catalog"], DCT.description, V, D["Catalog-description"]),
        (EX["bare-catalog"], DCT.publisher, V, D["Catalog-publisher"]),
        (EX["bare-catalog"], None, W, D.CatalogContentShape),
        *{(EX["bare-catalog"], p, W, D[f"Catalog-{name}-recommended"]) for p, name in [
            (DCT.license, "license"), (DCT.issued, "issued"), (DCT.modified, "modified"),
            (DCT.spatial, "spatial"), (DCT.language, "language"), (DCAT.themeTaxonomy, "themeTaxonomy"),
            (FOAF.homepage, "homepage")]},
        (EX.nameless, FOAF.name, V, D["Agent-name"]),
        (EX["two-types"], DCT.type, V, D["Agent-type"]),
        (EX.unlabelled, SKOS.prefLabel, V, D["Concept-prefLabel"]),
        (EX["twice-labelled"], SKOS.prefLabel, V, D["Concept-prefLabel"]),
    }, id="catalog-agent-concept"),
    pytest.param(["policies-invalid"], {
        (EX["no-uid"], ODRL.uid, V, A["Policy-uid"]),
        (EX["text-uid"], ODRL.uid, V, A["Policy-uid"]),
        (EX["no-rules"], None, V, A.PolicyRulesShape),
        (EX["offer-no-assigner"], None, V, A.OfferAssignerShape),
        (EX["offer-half-assigned"], None, V, A.OfferAssignerShape),
        (EX["agreement-no-assignee"], None, V, A.AgreementAssigneeShape),
        (EX["rule-defects"], ODRL.conflict, V, A["Policy-conflict"]),
        (EX["no-action"], ODRL.action, V, A["Rule-action"]),
        (EX["unknown-action"], ODRL.action, V, A["Rule-action"]),
        (EX["no-target"], None, V, A.PermissionTargetShape),
        (EX["prohibition-no-target"], None, V, A.ProhibitionTargetShape),
        (EX["bad-operator"], ODRL.operator, V, A["AtomicConstraint-operator"]),
        (EX["no-right-operand"], None, V, A.AtomicConstraintRightOperandShape),
        (EX["no-left-operand"], ODRL.leftOperand, V, A["AtomicConstraint-leftOperand"]),
        (EX.empty, None, V, A.ConstraintShape),
        (EX["mixed-logic"], None, V, A.LogicalConstraintShape),
    }, id="odrl-defects"),
    pytest.param(["valid-catalog", "usecase-participation-without-role"], {
        (EX["harbour-participation-2"], AGORA.role, V, A["Participation-role"]),
    }, id="participation-without-role"),
    pytest.param(["valid-catalog", "usecase-invalid"], {
        (EX["bad-use-case"], AGORA.goal, V, A["UseCase-goal"]),
        (EX["bad-use-case"], AGORA.sector, V, A["SectorValues-sector"]),
        (EX["bad-use-case"], AGORA.status, V, A["UseCase-status"]),
        (EX["bad-use-case"], AGORA.participation, V, A["UseCase-participation"]),
        (EX["bad-flow"], AGORA.governedBy, V, A["DataFlow-policy"]),
        (EX["bad-flow"], AGORA.purpose, V, A["DataFlow-purpose"]),
        (EX["crowded-participation"], AGORA.participant, V, A["Participation-participant"]),
        (EX["crowded-participation"], AGORA.role, V, A["Participation-role"]),
        (EX.utility, AGORA.hasRole, V, A["Stakeholder-hasRole"]),
        (EX["bad-twin"], AGORA.fedBy, V, A["LocalDigitalTwin-fedBy"]),
        (EX.nowhere, AGORA.country, V, A["PlaceCountry-country"]),
        (EX["bad-space"], DCT.description, V, A["DataSpace-description"]),
        (EX["traffic-counts"], AGORA.memberOf, V, A["MemberOfValues-memberOf"]),
    }, id="agora-profile-defects"),
]


@pytest.mark.parametrize(("files", "expected"), CASES)
def test_fixture_gives_exactly_the_expected_results(
    files: list[str], expected: set[Key], shapes: Graph, ontology: Graph
) -> None:
    actual, _ = validate(fixture_graph(files), shapes, ontology)
    missing, unexpected = expected - actual, actual - expected
    assert not missing and not unexpected, f"missing: {sorted(missing)}\nunexpected: {sorted(unexpected)}"


def test_missing_title_message_speaks_to_a_curator(shapes: Graph, ontology: Graph) -> None:
    _, report = validate(fixture_graph(["valid-catalog", "dataset-missing-title"]), shapes, ontology)
    messages = {str(m) for m in report.objects(None, SH.resultMessage)}
    assert messages == {"A dataset must have a title (dct:title), given as text."}


def test_invalid_datatypes_name_the_expected_datatype(shapes: Graph, ontology: Graph) -> None:
    _, report = validate(fixture_graph(["valid-catalog", "ranges"]), shapes, ontology)
    results = [r for r in report.subjects(SH.focusNode, EX["size-as-string"])]
    assert len(results) == 1
    assert "xsd:nonNegativeInteger" in str(report.value(results[0], SH.resultMessage))


def test_dcat_ap_profile_alone_needs_no_ontology() -> None:
    """The dcat-ap@3.0.1 profile is usable on third-party catalogues without Agora's ontology."""
    dcat_ap = parse([SHAPES_DIR / "dcat-ap-3.ttl"])
    actual, _ = validate(fixture_graph(["valid-catalog"]), dcat_ap, None)
    assert actual == set()


def test_ontology_and_concept_schemes_conform(shapes: Graph, ontology: Graph) -> None:
    """Agora's own concepts and schemes meet the Concept and Concept-scheme shapes."""
    actual, _ = validate(Graph(), shapes, ontology)
    assert actual == set()


def test_demo_data_has_no_violations(shapes: Graph, ontology: Graph) -> None:
    """The demo catalogue is what a visitor sees first: it must meet both profiles (warnings for
    recommended properties are allowed). The vocabularies are background, as in Agora's loader."""
    data_dir = REPO / "data"
    files = sorted(data_dir.glob("*.ttl")) if data_dir.is_dir() else []
    trig = sorted(data_dir.glob("*.trig")) if data_dir.is_dir() else []
    if not files and not trig:
        pytest.skip("no demo data in data/")
    data = parse([*files, *sorted((ONTOLOGY_DIR / "vocabularies").glob("*.ttl"))])
    for f in trig:
        ds = Dataset()
        ds.parse(f, format="trig")
        for s, p, o, _ in ds.quads():
            data.add((s, p, o))
    actual, _ = validate(data, shapes, ontology)
    violations = sorted(k for k in actual if k[2] == V)
    assert not violations, "\n".join(f"{focus} {path} ({shape})" for focus, path, _, shape in violations[:20])


# ---------------------------------------------------------------------------------------------
# the fast engine must agree with the reference engine on every fixture


@pytest.mark.parametrize(("files", "expected"), CASES)
def test_agora_engine_agrees_with_pyshacl(
    files: list[str], expected: set[Key], shapes: Graph, ontology: Graph
) -> None:
    shacl = pytest.importorskip("agora.kg.shacl")
    report = shacl.Validator(shapes).validate_graph(fixture_graph(files), background=ontology)
    actual = {(r.focus_node, r.result_path, r.severity, r.source_shape) for r in report.results}
    assert actual == expected
