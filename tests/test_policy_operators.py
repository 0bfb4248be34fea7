"""Each ODRL operator, each left operand the engine supports, and how several values combine.

Every case is a one-rule policy attached to ex:ds (tests/fixtures/policy/world.ttl holds the
hierarchies: purposes, roles, sectors, places), evaluated in an in-memory store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agora.kg.errors import BadInput
from agora.kg.policy import DENY, NOT_APPLICABLE, PERMIT, Decision, MemorySource, check, decision_dict

WORLD = Path(__file__).parent / "fixtures" / "policy" / "world.ttl"
EX = "http://example.org/"
PREFIXES = """@prefix ex: <http://example.org/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix agora: <https://w3id.org/agora/ns#> .
"""


def world(*turtle: str) -> MemorySource:
    """An in-memory store with the test world and the given Turtle snippets (prefixes provided)."""
    source = MemorySource()
    source.load(WORLD.read_bytes())
    for text in turtle:
        source.load(PREFIXES + text)
    return source


def ex(name: str | None) -> str | None:
    return None if name is None else EX + name


def decide(turtle: str, party: str = "kk", target: str = "ds", **kwargs: Any) -> Decision:
    """Check a request against a store holding `turtle`; party/target are ex: local names."""
    for key in ("purpose", "spatial", "recipient", "industry"):
        value = kwargs.get(key)
        if isinstance(value, str):
            kwargs[key] = ex(value)
        elif isinstance(value, list):
            kwargs[key] = [ex(v) for v in value]
    return check(world(turtle), ex(party), kwargs.pop("action", "odrl:use"), ex(target), **kwargs)


def rule(constraint: str, kind: str = "permission") -> str:
    return (f"ex:p a odrl:Set ; odrl:{kind} [ odrl:action odrl:use ; odrl:constraint [ {constraint} ] ] . "
            "ex:ds odrl:hasPolicy ex:p .")


def c(left: str, op: str, right: str) -> str:
    return f"odrl:leftOperand odrl:{left} ; odrl:operator odrl:{op} ; odrl:rightOperand {right}"


CASES = [
    # eq / neq, with exact synonyms (skos:exactMatch) counting as equal
    ("eq purpose", c("purpose", "eq", "ex:research"), {"purpose": "research"}, PERMIT),
    ("eq purpose, other", c("purpose", "eq", "ex:research"), {"purpose": "marketing"}, NOT_APPLICABLE),
    ("eq purpose, synonym", c("purpose", "eq", "ex:research"), {"purpose": "dpv-research"}, PERMIT),
    ("neq purpose", c("purpose", "neq", "ex:marketing"), {"purpose": "research"}, PERMIT),
    ("neq purpose, equal", c("purpose", "neq", "ex:marketing"), {"purpose": "marketing"}, NOT_APPLICABLE),
    # lt / lteq / gt / gteq over dateTime
    ("lt dateTime, before", c("dateTime", "lt", '"2025-06-01T00:00:00Z"^^xsd:dateTime'),
     {"at": "2025-05-31T23:59:59Z"}, PERMIT),
    ("lt dateTime, equal", c("dateTime", "lt", '"2025-06-01T00:00:00Z"^^xsd:dateTime'),
     {"at": "2025-06-01T00:00:00Z"}, NOT_APPLICABLE),
    ("lteq dateTime, equal", c("dateTime", "lteq", '"2025-06-01T00:00:00Z"^^xsd:dateTime'),
     {"at": "2025-06-01T00:00:00Z"}, PERMIT),
    ("gt dateTime, after", c("dateTime", "gt", '"2025-06-01T00:00:00Z"^^xsd:dateTime'),
     {"at": "2025-06-01T00:00:01Z"}, PERMIT),
    ("gt dateTime, equal", c("dateTime", "gt", '"2025-06-01T00:00:00Z"^^xsd:dateTime'),
     {"at": "2025-06-01T00:00:00Z"}, NOT_APPLICABLE),
    ("gteq dateTime, equal", c("dateTime", "gteq", '"2025-06-01T00:00:00Z"^^xsd:dateTime'),
     {"at": "2025-06-01T00:00:00Z"}, PERMIT),
    ("gteq dateTime, before", c("dateTime", "gteq", '"2025-06-01T00:00:00Z"^^xsd:dateTime'),
     {"at": "2025-05-01"}, NOT_APPLICABLE),
    ("dateTime vs xsd:date deadline, last day", c("dateTime", "lteq", '"2027-12-31"^^xsd:date'),
     {"at": "2027-12-31T23:00:00Z"}, PERMIT),
    ("dateTime vs xsd:date deadline, after", c("dateTime", "lteq", '"2027-12-31"^^xsd:date'),
     {"at": "2028-01-01T00:00:00Z"}, NOT_APPLICABLE),
    ("dateTime with time zone", c("dateTime", "lt", '"2025-06-01T00:00:00Z"^^xsd:dateTime'),
     {"at": "2025-06-01T01:30:00+02:00"}, PERMIT),
    # count and elapsedTime
    ("lteq count", c("count", "lteq", '"5"^^xsd:integer'), {"count": 5}, PERMIT),
    ("lteq count, over", c("count", "lteq", '"5"^^xsd:integer'), {"count": 6}, NOT_APPLICABLE),
    ("lt count", c("count", "lt", "5"), {"count": 5}, NOT_APPLICABLE),
    ("lteq elapsedTime", c("elapsedTime", "lteq", '"P30D"^^xsd:duration'), {"elapsed": "P29D"}, PERMIT),
    ("lteq elapsedTime, hours", c("elapsedTime", "lteq", '"P30D"^^xsd:duration'), {"elapsed": "PT720H"}, PERMIT),
    ("lteq elapsedTime, over", c("elapsedTime", "lteq", '"P30D"^^xsd:duration'), {"elapsed": "P31D"},
     NOT_APPLICABLE),
    ("eq elapsedTime", c("elapsedTime", "eq", '"PT60M"^^xsd:duration'), {"elapsed": "PT1H"}, PERMIT),
    # isA over skos:broader (two levels), exact synonyms
    ("isA purpose, narrower", c("purpose", "isA", "ex:public-interest"), {"purpose": "mobility-planning"}, PERMIT),
    ("isA purpose, unrelated", c("purpose", "isA", "ex:public-interest"), {"purpose": "marketing"},
     NOT_APPLICABLE),
    ("isA purpose, broader is not narrower", c("purpose", "isA", "ex:urban-planning"),
     {"purpose": "public-interest"}, NOT_APPLICABLE),
    ("isA purpose, synonym", c("purpose", "isA", "ex:research"), {"purpose": "dpv-research"}, PERMIT),
    # isPartOf / hasPart / eq over places
    ("isPartOf spatial", c("spatial", "isPartOf", "ex:DNK"), {"spatial": "nordhavn"}, PERMIT),
    ("isPartOf spatial, elsewhere", c("spatial", "isPartOf", "ex:DNK"), {"spatial": "malmo"}, NOT_APPLICABLE),
    ("eq spatial means within", c("spatial", "eq", "ex:DNK"), {"spatial": "copenhagen"}, PERMIT),
    ("neq spatial", c("spatial", "neq", "ex:DNK"), {"spatial": "malmo"}, PERMIT),
    ("neq spatial, inside", c("spatial", "neq", "ex:DNK"), {"spatial": "nordhavn"}, NOT_APPLICABLE),
    ("hasPart spatial", c("spatial", "hasPart", "ex:nordhavn"), {"spatial": "copenhagen"}, PERMIT),
    ("hasPart spatial, no", c("spatial", "hasPart", "ex:nordhavn"), {"spatial": "malmo"}, NOT_APPLICABLE),
    # set operators: narrower concepts count as their broader ones
    ("isAnyOf", c("purpose", "isAnyOf", "ex:research, ex:public-interest"), {"purpose": "urban-planning"}, PERMIT),
    ("isAnyOf, none", c("purpose", "isAnyOf", "ex:research, ex:public-interest"), {"purpose": "marketing"},
     NOT_APPLICABLE),
    ("isAnyOf, RDF list", c("purpose", "isAnyOf", "( ex:research ex:public-interest )"), {"purpose": "research"},
     PERMIT),
    ("isAllOf", c("purpose", "isAllOf", "ex:research, ex:urban-planning"),
     {"purpose": ["research", "urban-planning"]}, PERMIT),
    ("isAllOf, missing one", c("purpose", "isAllOf", "ex:research, ex:urban-planning"), {"purpose": "research"},
     NOT_APPLICABLE),
    ("isNoneOf", c("purpose", "isNoneOf", "ex:commercial"), {"purpose": "research"}, PERMIT),
    ("isNoneOf, narrower", c("purpose", "isNoneOf", "ex:commercial"), {"purpose": "marketing"}, NOT_APPLICABLE),
    # recipient and industry
    ("recipient isA role", c("recipient", "isA", "ex:public-authority"), {"recipient": "kk"}, PERMIT),
    ("recipient isA role, company", c("recipient", "isA", "ex:public-authority"), {"recipient": "acme"},
     NOT_APPLICABLE),
    ("recipient defaults to the party", c("recipient", "isA", "ex:public-authority"), {}, PERMIT),
    ("industry isA", c("industry", "isA", "ex:utilities"), {"industry": "energy-sector"}, PERMIT),
    ("industry unknown", c("industry", "isA", "ex:utilities"), {}, NOT_APPLICABLE),
]


@pytest.mark.parametrize(("constraint", "request_", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_operator(constraint: str, request_: dict[str, Any], expected: str) -> None:
    assert decide(rule(constraint), **request_).decision == expected


def test_spatial_defaults_to_the_party_city_and_says_so() -> None:
    policy = rule(c("spatial", "eq", "ex:DNK"))
    d = decide(policy, party="kk")
    assert d.decision == PERMIT
    (leaf,) = decision_dict(d)["rules"][0]["constraints"]
    assert leaf["value"] == [EX + "copenhagen"] and leaf["value_from"].startswith("assumed")
    assert decide(policy, party="acme").decision == NOT_APPLICABLE


def test_missing_value_is_undetermined_not_false() -> None:
    d = decide(rule(c("purpose", "isA", "ex:research")))
    assert d.decision == NOT_APPLICABLE
    body = decision_dict(d)
    leaf = body["rules"][0]["constraints"][0]
    assert leaf["holds"] is None and "not known" in leaf["note"]
    assert body["missing"] and "undetermined" in body["summary"]


def test_several_purposes_must_all_satisfy_a_permission_but_one_triggers_a_prohibition() -> None:
    permission = rule(c("purpose", "isA", "ex:public-interest"))
    assert decide(permission, purpose=["urban-planning", "mobility-planning"]).decision == PERMIT
    assert decide(permission, purpose=["urban-planning", "marketing"]).decision == NOT_APPLICABLE
    prohibition = rule(c("purpose", "isA", "ex:commercial"), kind="prohibition")
    assert decide(prohibition, purpose=["urban-planning", "marketing"]).decision == DENY
    assert decide(prohibition, purpose=["urban-planning"]).decision == NOT_APPLICABLE


def test_prohibition_on_an_unknown_value_is_a_caveat_not_a_denial() -> None:
    policy = (rule("odrl:leftOperand odrl:count ; odrl:operator odrl:gteq ; odrl:rightOperand 0")
              + " ex:p odrl:prohibition [ odrl:action odrl:use ; odrl:constraint [ "
              + c("purpose", "isA", "ex:commercial") + " ] ] .")
    d = decide(policy, count=1)
    assert d.decision == PERMIT
    (caveat,) = decision_dict(d)["caveats"]
    assert "would forbid this" in caveat and "purpose" in caveat


def test_unsupported_operator_is_undetermined() -> None:
    d = decide(rule("odrl:leftOperand odrl:purpose ; odrl:operator ex:resembles ; odrl:rightOperand ex:research"),
               purpose="research")
    assert d.decision == NOT_APPLICABLE


def test_bad_input() -> None:
    policy = rule(c("purpose", "isA", "ex:research"))
    with pytest.raises(BadInput, match="unknown party"):
        decide(policy, party="nobody")
    with pytest.raises(BadInput, match="unknown target"):
        decide(policy, target="nothing")
    with pytest.raises(BadInput, match="unknown prefix"):
        check(world(policy), "nope:x", "odrl:use", EX + "ds")
    with pytest.raises(BadInput, match="--at"):
        decide(policy, at="next tuesday")
    with pytest.raises(BadInput, match="duration"):
        decide(policy, elapsed="thirty days")


def test_other_left_operands_come_from_the_request_context() -> None:
    channel = rule(c("deliveryChannel", "eq", "ex:web"))
    assert decide(channel, context=["odrl:deliveryChannel=<http://example.org/web>"]).decision == PERMIT
    assert decide(channel, context=["odrl:deliveryChannel=<http://example.org/print>"]).decision == NOT_APPLICABLE
    assert decide(channel).decision == NOT_APPLICABLE
    share = rule(c("percentage", "lteq", "20"))
    assert decide(share, context={"odrl:percentage": "15"}).decision == PERMIT
    assert decide(share, context={"odrl:percentage": "25"}).decision == NOT_APPLICABLE
    with pytest.raises(BadInput, match="LEFT_OPERAND=VALUE"):
        decide(share, context=["percentage 15"])
