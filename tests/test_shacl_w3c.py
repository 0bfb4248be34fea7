"""The W3C SHACL Core test suite (data-shapes/tests/core) against agora.kg.shacl.

Comparison mirrors pyshacl's runner (pyshacl.validator_conformance): sh:conforms must match and
the results must match as a multiset of (focus, path, value, severity, component, source shape),
with blank-node focus nodes and values compared as "some blank node" and blank-node shapes and
paths compared by structure; messages are compared when the expected result lists them. Our
report graph (``Report.to_graph()``) is what gets compared, so its structure is tested too, and
pyshacl's own ``check_sht_result`` is run on it as a second opinion.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from agora.kg.shacl import Report, Validator, pushdown
from agora.kg.shacl.terms import node_string, term_key

from .shacl_support import SHACL_TESTS_DIR

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")
SH = Namespace("http://www.w3.org/ns/shacl#")

# Tests we knowingly fail, with the reason. Empty: every Core test passes.
KNOWN_FAILURES: dict[str, str] = {}


@dataclass(frozen=True)
class Case:
    name: str
    manifest: Path
    entry: Node
    data_file: Path
    shapes_file: Path


def _parse(path: Path) -> Graph:
    """Parse without rdflib's literal normalisation: the tests are about terms as written.

    (uniqueLang-002 hinges on "1"^^xsd:boolean not being "true"^^xsd:boolean.)
    """
    g = Graph()
    saved = rdflib.NORMALIZE_LITERALS
    rdflib.NORMALIZE_LITERALS = False
    try:
        g.parse(path, format="turtle", publicID=path.resolve().as_uri())
    finally:
        rdflib.NORMALIZE_LITERALS = saved
    return g


@functools.cache
def _graph(path: Path) -> Graph:
    return _parse(path)


def _file(uri: Node) -> Path:
    return Path(str(uri).removeprefix("file://"))


def collect(manifest: Path) -> list[Case]:
    g = _graph(manifest)
    out: list[Case] = []
    for m in g.subjects(RDF.type, MF.Manifest):
        for inc in g.objects(m, MF.include):
            out.extend(collect(_file(inc)))
        for lst in g.objects(m, MF.entries):
            for entry in Collection(g, lst):
                if (entry, RDF.type, SHT.Validate) not in g:
                    continue
                action = g.value(entry, MF.action)
                rel = manifest.relative_to(SHACL_TESTS_DIR).parent / str(entry).rsplit("/", 1)[-1]
                out.append(
                    Case(
                        str(rel),
                        manifest,
                        entry,
                        _file(g.value(action, SHT.dataGraph)),
                        _file(g.value(action, SHT.shapesGraph)),
                    )
                )
    return out


CASES = collect(SHACL_TESTS_DIR / "manifest.ttl") if SHACL_TESTS_DIR.exists() else []


def _key(g: Graph, r: Node, with_messages: bool) -> tuple:
    def one(p: URIRef, opaque_bnodes: bool) -> str:
        v = g.value(r, p)
        if v is None:
            return ""
        if isinstance(v, BNode):
            return "BNode" if opaque_bnodes else node_string(g, v)
        return term_key(v)

    key: tuple = (
        one(SH.focusNode, True),
        one(SH.resultPath, False),
        one(SH.value, True),
        one(SH.resultSeverity, False),
        one(SH.sourceConstraintComponent, False),
        one(SH.sourceShape, False),
    )
    if with_messages:
        key += (frozenset(str(m) for m in g.objects(r, SH.resultMessage)),)
    return key


def _report_summary(g: Graph, report: Node, with_messages: bool) -> tuple[bool, Counter]:
    conforms = g.value(report, SH.conforms)
    results = Counter(_key(g, r, with_messages) for r in g.objects(report, SH.result))
    return bool(isinstance(conforms, Literal) and conforms.value), results


def _ours(case: Case) -> Report:
    return Validator(_graph(case.shapes_file)).validate_graph(_graph(case.data_file))


@functools.cache
def run_case(case: Case) -> tuple[bool, str]:
    """(passed, explanation) for one W3C test."""
    mg = _graph(case.manifest)
    data = _graph(case.data_file)
    shapes = _graph(case.shapes_file)
    expected_node = mg.value(case.entry, MF.result)
    with_messages = any(True for r in mg.objects(expected_node, SH.result) for _ in mg.objects(r, SH.resultMessage))
    report = Validator(shapes).validate_graph(data)
    assert report.conforms == (len(report.results) == 0)
    rg = report.to_graph()
    actual_node = next(rg.subjects(RDF.type, SH.ValidationReport))
    exp_conforms, exp = _report_summary(mg, expected_node, with_messages)
    act_conforms, act = _report_summary(rg, actual_node, with_messages)
    if exp_conforms != act_conforms or exp != act or report.conforms != exp_conforms:
        missing = exp - act
        extra = act - exp
        return False, f"conforms {act_conforms} (expected {exp_conforms}); missing {dict(missing)}; extra {dict(extra)}"
    from pyshacl.validator_conformance import check_sht_result

    if not check_sht_result(rg, mg, expected_node, log=logging.getLogger("w3c")):
        return False, "pyshacl's check_sht_result rejects our report graph"
    return True, ""


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_w3c_core(case: Case) -> None:
    if case.name in KNOWN_FAILURES:
        pytest.xfail(KNOWN_FAILURES[case.name])
    passed, why = run_case(case)
    assert passed, why


@pytest.mark.parametrize("max_distinct", [2000, 0], ids=["distinct-values", "row-filters"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_w3c_core_forced_pushdown(case: Case, max_distinct: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The SPARQL pushdown route gives the same results as the evaluator on every W3C test.

    (W3C focus sets are tiny, so normally nothing is pushed down; force it.)
    """
    expected = Counter(r.key() for r in _ours(case).results)
    monkeypatch.setattr(pushdown, "MIN_FOCUS", 0)
    monkeypatch.setattr(pushdown, "MAX_DISTINCT", max_distinct)
    forced = Counter(r.key() for r in _ours(case).results)
    assert forced == expected, (forced - expected, expected - forced)


def test_w3c_core_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert CASES, f"W3C suite not found at {SHACL_TESTS_DIR}"
    outcome = {c.name: run_case(c) for c in CASES}
    passed = sum(1 for ok, _ in outcome.values() if ok)
    if True:  # captured: conftest prints these lines in the run's conformance summary
        print(f"\nSHACL Core: {passed}/{len(CASES)} passed")
        for name, (ok, why) in sorted(outcome.items()):
            if not ok:
                print(f"  FAIL {name}: {KNOWN_FAILURES.get(name, why)}")
    unexpected = sorted(n for n, (ok, _) in outcome.items() if not ok and n not in KNOWN_FAILURES)
    assert not unexpected, unexpected
    assert passed == len(CASES) - len(KNOWN_FAILURES)
