"""The built-in action hierarchy is a faithful copy of the W3C ODRL 2.2 vocabulary."""

from __future__ import annotations

from pathlib import Path

import rdflib

from agora.kg.policy.actions import CORE_EXACT_MATCH, CORE_INCLUDED_IN

VOCAB = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "odrl" / "vocab" / "ODRL22.ttl"
ODRL = rdflib.Namespace("http://www.w3.org/ns/odrl/2/")
SKOS = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")


def test_core_relations_match_the_odrl22_vocabulary() -> None:
    g = rdflib.Graph().parse(VOCAB, format="turtle")
    actions = set(g.subjects(rdflib.RDF.type, ODRL.Action))
    included = {(str(a), str(b)) for a, b in g.subject_objects(ODRL.includedIn)}
    exact = {(str(a), str(b)) for a, b in g.subject_objects(SKOS.exactMatch) if a in actions}
    implies = {(str(a), str(b)) for a, b in g.subject_objects(ODRL.implies)}
    assert set(CORE_INCLUDED_IN) == included
    assert set(CORE_EXACT_MATCH) == exact
    assert not implies  # the core vocabulary declares none; stores may (see test_policy_engine)
