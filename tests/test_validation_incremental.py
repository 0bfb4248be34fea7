"""Incremental re-validation: after an update, only the focus nodes it can affect are validated again.

The property checked everywhere: for a change from graph G to G', with F the focus nodes
``Validator.affected_focus`` names for it,

    results(G') == results(G) - results_F(G) + results_F(G')      (as multisets of result keys)

for randomised changes (added and removed triples, rdf:type changes, links between records,
literals of every kind), over the official DCAT-AP 3.0.1 shapes, Agora's profile and a shapes
graph built to exercise every kind of read (inverse, sequence, alternative and zero-or-more
paths, sh:node, nested sh:property, qualified shapes with disjoint siblings, sh:closed,
property pairs, the four target kinds, subclass instances). Then end to end: SPARQL updates on a
loaded source keep its violation and warning counts, status and stored summary equal to what a
full re-validation gives, while re-validating only a few nodes.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib

from agora.kg import validation
from agora.kg.errors import ValidationFailed
from agora.kg.loader import load_files
from agora.kg.profiles import shapes_graph
from agora.kg.shacl import Validator
from agora.kg.update import run_update

from .shacl_support import DCAT, DCT, EX, FOAF, dcat_ap_shape_files, generate_catalog

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
E = "http://example.org/ns#"
SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")
OLD = ox.NamedNode("urn:test:old")
NEW = ox.NamedNode("urn:test:new")

CUSTOM = f"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcat: <{DCAT}> .
@prefix dct: <{DCT}> .
@prefix foaf: <{FOAF}> .
@prefix e: <{E}> .
@prefix ft: <http://publications.europa.eu/resource/authority/file-type/> .

e:Dataset a sh:NodeShape ; sh:targetClass dcat:Dataset ;
  sh:property [ sh:path dct:title ; sh:minCount 1 ; sh:uniqueLang true ; sh:datatype rdf:langString ] ;
  sh:property [ sh:path dct:publisher ; sh:maxCount 1 ; sh:node e:Agent ] ;
  sh:property [ sh:path dcat:distribution ; sh:qualifiedValueShape e:Csv ; sh:qualifiedMinCount 1 ;
                sh:qualifiedValueShapesDisjoint true ] ;
  sh:property [ sh:path dcat:distribution ; sh:qualifiedValueShape e:Json ; sh:qualifiedMaxCount 1 ;
                sh:qualifiedValueShapesDisjoint true ] ;
  sh:property [ sh:path ( dcat:distribution dct:license ) ; sh:class dct:LicenseDocument ] ;
  sh:property [ sh:path [ sh:inversePath dcat:dataset ] ; sh:minCount 1 ; sh:class dcat:Catalog ] ;
  sh:property [ sh:path dct:issued ; sh:lessThanOrEquals dct:modified ] ;
  sh:property [ sh:path dcat:keyword ; sh:disjoint dct:title ; sh:maxCount 2 ] ;
  sh:property [ sh:path [ sh:alternativePath ( dcat:theme dct:subject ) ] ; sh:minCount 1 ] ;
  sh:property [ sh:path ( dct:isPartOf [ sh:zeroOrMorePath dct:isPartOf ] ) ; sh:not [ sh:class e:Forbidden ] ] ;
  sh:property [ sh:path dcat:distribution ;
                sh:property [ sh:path dcat:accessURL ; sh:minCount 1 ; sh:nodeKind sh:IRI ] ] ;
  sh:or ( [ sh:path dct:description ; sh:minCount 1 ] [ sh:path dct:identifier ; sh:minCount 1 ] ) .

e:Agent a sh:NodeShape ;
  sh:or ( [ sh:class foaf:Agent ] [ sh:class foaf:Person ] ) ;
  sh:property [ sh:path foaf:name ; sh:minCount 1 ] .
e:Csv a sh:NodeShape ; sh:property [ sh:path dct:format ; sh:hasValue ft:CSV ] .
e:Json a sh:NodeShape ; sh:property [ sh:path dct:format ; sh:hasValue ft:JSON ] .

e:Distribution a sh:NodeShape ; sh:targetObjectsOf dcat:distribution ;
  sh:closed true ; sh:ignoredProperties ( rdf:type dct:issued dct:modified dcat:byteSize ) ;
  sh:property [ sh:path dct:format ; sh:minCount 1 ; sh:in ( ft:CSV ft:JSON ft:XML ) ] ;
  sh:property [ sh:path dcat:accessURL ] ;
  sh:property [ sh:path dct:license ; sh:maxCount 1 ] .

e:Publisher a sh:NodeShape ; sh:targetSubjectsOf foaf:name ;
  sh:property [ sh:path [ sh:inversePath dct:publisher ] ; sh:maxCount 3 ] ;
  sh:xone ( [ sh:class foaf:Agent ] [ sh:class foaf:Person ] ) .

e:Catalog a sh:NodeShape ; sh:targetNode <{EX}catalog> ;
  sh:property [ sh:path dcat:dataset ; sh:node e:Titled ; sh:minCount 1 ] .
e:Titled a sh:NodeShape ; sh:property [ sh:path dct:title ; sh:minCount 1 ; sh:pattern "^Dataset" ] .

e:Special a sh:NodeShape ; sh:targetClass e:SpecialDataset ;
  sh:and ( [ sh:path dct:identifier ; sh:minCount 1 ] [ sh:path dcat:theme ; sh:maxCount 1 ] ) .
"""

# Schema data: a subclass (targets of dcat:Dataset include e:SpecialDataset instances).
SCHEMA = f"<{E}SpecialDataset> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <{DCAT}Dataset> .\n"


def shapes_for(kind: str) -> rdflib.Graph:
    if kind == "official":
        g = rdflib.Graph()
        for f in dcat_ap_shape_files("shapes.ttl", "range.ttl"):
            g.parse(f)
        return g
    if kind == "agora":
        return shapes_graph("agora")
    return rdflib.Graph().parse(data=CUSTOM, format="turtle")


def keys(report: object) -> Counter:
    return Counter(r.key() for r in report.results)  # type: ignore[attr-defined]


class Mutator:
    """Random changes drawn from the terms of the catalog (plus new ones)."""

    def __init__(self, store: ox.Store, rnd: random.Random) -> None:
        self.store = store
        self.rnd = rnd
        # rdfs:subClassOf is left alone: a hierarchy change is always validated in full (tested below).
        quads = [q for q in store.quads_for_pattern(None, None, None, OLD) if q.predicate != SUBCLASS]
        new = {ox.NamedNode(f"{EX}dataset/new{i}") for i in range(3)}
        self.subjects = sorted({q.subject for q in quads} | new, key=str)
        self.predicates = sorted({q.predicate for q in quads} | {ox.NamedNode(DCT + "subject"),
                                                                  ox.NamedNode(DCT + "isPartOf"),
                                                                  ox.NamedNode(FOAF + "name")}, key=str)
        self.nodes = sorted({q.object for q in quads if not isinstance(q.object, ox.Literal)}, key=str)
        self.classes = [ox.NamedNode(c) for c in (DCAT + "Dataset", DCAT + "Distribution", DCAT + "Catalog",
                                                   FOAF + "Agent", FOAF + "Person", DCT + "LicenseDocument",
                                                   E + "SpecialDataset", E + "Forbidden")]
        self.literals = [ox.Literal("Dataset x", language="en"), ox.Literal("Dataset x", language="de"),
                         ox.Literal("plain"), ox.Literal("2020-01-01", datatype=ox.NamedNode(XSD + "date")),
                         ox.Literal("2030-01-01T00:00:00Z", datatype=ox.NamedNode(XSD + "dateTime")),
                         ox.Literal("012", datatype=ox.NamedNode(XSD + "nonNegativeInteger")),
                         ox.Literal("keyword1", language="en"),
                         ox.Literal("-3", datatype=ox.NamedNode(XSD + "integer"))]

    def change(self) -> tuple[list[ox.Quad], list[ox.Quad]]:
        r = self.rnd
        added: list[ox.Quad] = []
        removed: list[ox.Quad] = []
        for _ in range(r.randint(1, 4)):
            if r.random() < 0.45:
                s = r.choice(self.subjects)
                existing = [q for q in self.store.quads_for_pattern(s, None, None, OLD) if q.predicate != SUBCLASS]
                if existing:
                    removed.append(r.choice(existing))
                    continue
            s = r.choice(self.subjects)
            roll = r.random()
            if roll < 0.2:
                p, o = ox.NamedNode(RDF_TYPE), r.choice(self.classes)
            elif roll < 0.6:
                p, o = r.choice(self.predicates), r.choice(self.nodes + self.subjects)
            else:
                p, o = r.choice(self.predicates), r.choice(self.literals)
            added.append(ox.Quad(s, p, o, OLD))
        return added, removed


@pytest.fixture(scope="module")
def validators() -> dict[str, Validator]:
    return {kind: Validator(shapes_for(kind)) for kind in ("custom", "official", "agora")}


def _copy(store: ox.Store, src: ox.NamedNode, dst: ox.NamedNode) -> None:
    store.remove_graph(dst) if store.contains_named_graph(dst) else None
    store.extend([ox.Quad(q.subject, q.predicate, q.object, dst)
                  for q in store.quads_for_pattern(None, None, None, src)])


@pytest.mark.parametrize("kind", ["custom", "official", "agora"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_randomised_changes_give_the_full_results(validators: dict[str, Validator], kind: str, seed: int) -> None:
    validator = validators[kind]
    assert validator.reads.unbounded is None, validator.reads.unbounded
    rnd = random.Random(seed)
    store = ox.Store()
    store.load(input=(SCHEMA + generate_catalog(24, seed=seed, invalid_every=3)).encode(),
               format=ox.RdfFormat.N_TRIPLES, to_graph=OLD)
    mutator = Mutator(store, rnd)
    sizes = []
    for _step in range(25):
        added, removed = mutator.change()
        _copy(store, OLD, NEW)
        for q in removed:
            store.remove(ox.Quad(q.subject, q.predicate, q.object, NEW))
        store.extend([ox.Quad(q.subject, q.predicate, q.object, NEW) for q in added])
        changes = [(q.subject, q.predicate, q.object) for q in [*added, *removed]]
        affected = validator.affected_focus(store, [OLD], changes)
        assert affected is not None
        sizes.append(len(affected))
        full_before = keys(validator.validate_store(store, [OLD]))
        full_after = keys(validator.validate_store(store, [NEW]))
        part_before = keys(validator.validate_store(store, [OLD], focus_nodes=affected))
        part_after = keys(validator.validate_store(store, [NEW], focus_nodes=affected))
        assert not part_before - full_before, "re-validating a node gives results a full run does not"
        merged = full_before - part_before + part_after
        assert merged == full_after, (f"step {_step}: changes {changes}\nmissing {list(full_after - merged)[:3]}\n"
                                      f"extra {list(merged - full_after)[:3]}")
        _copy(store, NEW, OLD)
    # Incremental means incremental: most changes touch a handful of the ~150 focus nodes.
    assert sorted(sizes)[len(sizes) // 2] <= 10, sizes


def test_a_title_change_affects_only_its_dataset(validators: dict[str, Validator]) -> None:
    store = ox.Store()
    store.load(input=generate_catalog(10).encode(), format=ox.RdfFormat.N_TRIPLES, to_graph=OLD)
    ds = ox.NamedNode(f"{EX}dataset/3")
    change = [(ds, ox.NamedNode(DCT + "title"), ox.Literal("New", language="en"))]
    assert validators["official"].affected_focus(store, [OLD], change) == {ds}
    # A new type for a publisher reaches every dataset it publishes (sh:node e:Agent on dct:publisher).
    agent = ox.NamedNode(f"{EX}agent/0")
    publishes = {q.subject for q in store.quads_for_pattern(None, ox.NamedNode(DCT + "publisher"), agent, OLD)}
    affected = validators["custom"].affected_focus(store, [OLD], [(agent, ox.NamedNode(RDF_TYPE),
                                                                   ox.NamedNode(FOAF + "Person"))])
    assert affected is not None and publishes <= affected


@pytest.mark.parametrize("extra", [
    # A SPARQL constraint may read anything.
    """e:S a sh:NodeShape ; sh:targetClass dcat:Dataset ;
         sh:sparql [ sh:select "SELECT $this WHERE { $this ?p ?o } LIMIT 0" ] .""",
    # Recursion: which results a recursive shape gives depends on evaluation order.
    """e:R a sh:NodeShape ; sh:targetClass dcat:Dataset ; sh:property [ sh:path dct:isPartOf ; sh:node e:R ] .""",
])
def test_unbounded_shapes_ask_for_a_full_validation(extra: str) -> None:
    g = rdflib.Graph().parse(data=CUSTOM + extra, format="turtle")
    v = Validator(g)
    assert v.reads.unbounded
    store = ox.Store()
    assert v.affected_focus(store, [OLD], [(ox.NamedNode(EX + "x"), ox.NamedNode(DCT + "title"),
                                            ox.Literal("t"))]) is None


def test_a_class_hierarchy_change_asks_for_a_full_validation(validators: dict[str, Validator]) -> None:
    change = [(ox.NamedNode(E + "X"), SUBCLASS, ox.NamedNode(DCAT + "Dataset"))]
    assert validators["custom"].affected_focus(ox.Store(), [OLD], change) is None


# ---------------------------------------------------------------------------------------------- end to end


def _summary_counts(groups: list[validation.SummaryGroup]) -> Counter:
    return Counter({g.key: g.count for g in groups})


def bench_catalog(path: Path, datasets: int, seed: int) -> Path:
    """A valid generated catalog (bench/generate.py, the benchmarks' generator)."""
    import importlib.util
    import sys

    name = "agora_bench_generate"  # the name bench/common.py gives it: one module, however loaded
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "bench" /
                                                      "generate.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    module.generate(datasets, 0.0, seed, path, "nt", n_policies=10)
    return path


BENCH = "https://bench.agora.example/"


@pytest.fixture
def loaded(store: object, tmp_path: Path) -> object:
    load_files(store, [bench_catalog(tmp_path / "catalog.nt", 25, 5)], name="city")  # Agora profile: warnings only
    return store


def _random_update(rnd: random.Random, graph: str, n_datasets: int) -> str:
    ds = f"<{BENCH}ds/{rnd.randrange(n_datasets)}>"
    other = f"<{BENCH}ds/{rnd.randrange(n_datasets)}>"
    agent = f"<{BENCH}org/{rnd.choice([0, 1, 2, 65])}>"
    choices = [
        f'INSERT DATA {{ GRAPH <{graph}> {{ {ds} <{DCT}title> "Extra {rnd.random()}"@fr }} }}',
        f"DELETE WHERE {{ GRAPH <{graph}> {{ {ds} <{DCAT}keyword> ?k }} }}",
        f"DELETE WHERE {{ GRAPH <{graph}> {{ {ds} <{DCT}description> ?k }} }}",
        f'INSERT DATA {{ GRAPH <{graph}> {{ {ds} <{DCT}issued> "0{rnd.randrange(10)}"^^<{XSD}gYear> }} }}',
        f"INSERT DATA {{ GRAPH <{graph}> {{ {ds} <{DCT}publisher> {agent} }} }}",
        f"DELETE WHERE {{ GRAPH <{graph}> {{ {ds} <{DCAT}distribution> ?d . ?d ?p ?o }} }}",
        f"DELETE WHERE {{ GRAPH <{graph}> {{ {agent} <{FOAF}name> ?n }} }}",
        f'INSERT DATA {{ GRAPH <{graph}> {{ {agent} <{FOAF}name> "Agency"@en }} }}',
        f"INSERT DATA {{ GRAPH <{graph}> {{ {ds} <{DCT}isReferencedBy> {other} . {ds} <{DCAT}theme> {other} }} }}",
        f'INSERT DATA {{ GRAPH <{graph}> {{ {ds} <{DCAT}keyword> "k{rnd.randrange(5)}"@en }} }}',
        f"DELETE WHERE {{ GRAPH <{graph}> {{ {ds} <{RDF_TYPE}> ?t }} }}",
        f"DELETE {{ GRAPH <{graph}> {{ ?d <{DCAT}byteSize> ?b }} }} "
        f'INSERT {{ GRAPH <{graph}> {{ ?d <{DCAT}byteSize> "00{rnd.randrange(99)}"^^<{XSD}nonNegativeInteger> }} }} '
        f"WHERE {{ GRAPH <{graph}> {{ {ds} <{DCAT}distribution> ?d . ?d <{DCAT}byteSize> ?b }} }}",
    ]
    return rnd.choice(choices)


def test_updates_keep_counts_status_and_summary_equal_to_a_full_validation(loaded: object,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    store = loaded
    compared: list[int] = []
    original = validation.revalidate

    def checked(store_: object, info: object, profile: str, changes: validation.Changes) -> object:
        report = original(store_, info, profile, changes)
        if report is not None:  # compare with a full validation of the very same draft
            full = validation.validate_version(store_, info, profile)
            assert report.totals == validation.result_counts(full)
            assert {r.key() for r in report.violations} == {r.key() for r in full.violations}
            assert _summary_counts(report.summary) == _summary_counts(validation.summarize(full))
            compared.append(report.revalidated)
        return report

    monkeypatch.setattr(validation, "revalidate", checked)
    info = store.require("city")
    rnd = random.Random(11)
    rejected = 0
    for _ in range(20):
        try:
            run_update(store, _random_update(rnd, info.graph_iri, 25), user="t")
        except ValidationFailed:
            rejected += 1
        current = store.require("city").current
        full = validation.validate_source(store, "city")
        assert (current.violations, current.warnings) == validation.result_counts(full)
        assert current.validation == ("violations" if current.violations else "warnings" if current.warnings
                                      else "conforms")
        stored = validation.read_summary(store, validation_report_graph(store, "city"))
        assert stored is not None
        assert _summary_counts(stored[1]) == _summary_counts(validation.summarize(full))
    assert len(compared) >= 12, compared  # nearly every update was incremental
    assert rejected, "some updates should have broken the profile"
    assert max(compared) < 20, compared  # and looked at a few nodes, not the ~150 focus nodes


def validation_report_graph(store: object, name: str) -> ox.NamedNode:
    from agora.kg.registry import report_graph

    info = store.require(name)  # type: ignore[attr-defined]
    return report_graph(info.name, info.current.number)


def test_an_update_after_another_source_changed_is_validated_in_full(loaded: object, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = loaded
    other = tmp_path / "other.nt"
    other.write_text(generate_catalog(3, seed=9))
    # The background of "city" changed: its stored summary no longer applies.
    load_files(store, [other], name="other", validate=False)
    calls: list[object] = []
    original = validation.revalidate
    monkeypatch.setattr(validation, "revalidate", lambda *a: calls.append(r := original(*a)) or r)
    info = store.require("city")
    run_update(store, f'INSERT DATA {{ GRAPH <{info.graph_iri}> {{ <{BENCH}ds/1> <{DCT}title> "x"@fr }} }}', user="t")
    run_update(store, f'INSERT DATA {{ GRAPH <{info.graph_iri}> {{ <{BENCH}ds/2> <{DCT}title> "y"@fr }} }}', user="t")
    assert calls[0] is None and calls[1] is not None
