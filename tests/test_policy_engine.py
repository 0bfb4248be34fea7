"""The engine's ODRL semantics: logical constraints, collections, conflict strategies, inheritance, actions, duties.

Policies come from tests/fixtures/policy/cases.ttl (each attached to its own asset ex:a-...)
over the background in world.ttl, in one in-memory store shared by the module (read only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agora.kg.loader import delete_source, load_files
from agora.kg.policy import (
    DENY,
    NOT_APPLICABLE,
    PERMIT,
    Decision,
    MemorySource,
    Request,
    check,
    decision_dict,
    decision_text,
    engine_for,
)
from agora.kg.policy.actions import ActionHierarchy
from agora.kg.policy.terms import ODRL, PROHIBIT

from .test_policy_operators import EX, WORLD

CASES = Path(__file__).parent / "fixtures" / "policy" / "cases.ttl"


@pytest.fixture(scope="module")
def src() -> MemorySource:
    source = MemorySource()
    source.load(WORLD.read_bytes())
    source.load(CASES.read_bytes())
    return source


def ask(src: MemorySource, party: str, target: str, action: str = "odrl:use", **kwargs: Any) -> Decision:
    for key in ("purpose", "spatial", "recipient"):
        if isinstance(kwargs.get(key), str):
            kwargs[key] = EX + kwargs[key]
    return check(src, EX + party, action, EX + target, **kwargs)


# -- logical constraints -----------------------------------------------------------------------------
def test_and(src: MemorySource) -> None:
    assert ask(src, "kk", "a-and", purpose="urban-planning", at="2029-01-01").decision == PERMIT
    assert ask(src, "kk", "a-and", purpose="urban-planning", at="2031-01-01").decision == NOT_APPLICABLE
    assert ask(src, "kk", "a-and", purpose="marketing", at="2029-01-01").decision == NOT_APPLICABLE


def test_or_with_rdf_list_operands(src: MemorySource) -> None:
    assert ask(src, "kk", "a-or", purpose="research").decision == PERMIT
    assert ask(src, "kk", "a-or", purpose="mobility-planning").decision == PERMIT
    assert ask(src, "kk", "a-or", purpose="marketing").decision == NOT_APPLICABLE


def test_xone(src: MemorySource) -> None:
    assert ask(src, "kk", "a-xone").decision == NOT_APPLICABLE  # in DNK and a public authority: both hold
    assert ask(src, "acme", "a-xone", spatial="copenhagen").decision == PERMIT  # only the place holds
    assert ask(src, "malmo-stad", "a-xone").decision == PERMIT  # only the role holds
    assert ask(src, "acme", "a-xone").decision == NOT_APPLICABLE  # neither


def test_and_sequence_checks_every_operand(src: MemorySource) -> None:
    d = ask(src, "kk", "a-seq", at="2025-06-01", count=2)
    assert d.decision == PERMIT
    assert decision_dict(d)["rules"][0]["constraints"][0]["logical"] == "andSequence"
    assert ask(src, "kk", "a-seq", at="2025-06-01", count=4).decision == NOT_APPLICABLE


# -- party collections -------------------------------------------------------------------------------
def test_party_collection_defined_by_refinement(src: MemorySource) -> None:
    assert ask(src, "kk", "a-pc").decision == PERMIT  # municipality (narrower than public authority) in DNK
    assert ask(src, "region", "a-pc").decision == PERMIT
    assert ask(src, "malmo-stad", "a-pc").decision == NOT_APPLICABLE  # public authority, but in SWE
    assert ask(src, "acme", "a-pc").decision == NOT_APPLICABLE
    listed = ask(src, "listed-but-swedish", "a-pc")
    assert listed.decision == NOT_APPLICABLE
    assert "although listed" in decision_dict(listed)["rules"][0]["premises"][0]["detail"]


def test_party_collection_by_membership_and_inline(src: MemorySource) -> None:
    assert ask(src, "acme", "a-partners").decision == PERMIT
    assert ask(src, "kk", "a-partners").decision == NOT_APPLICABLE
    assert ask(src, "acme", "a-inline").decision == PERMIT
    assert ask(src, "kk", "a-inline").decision == NOT_APPLICABLE


# -- assets -------------------------------------------------------------------------------------------
def test_asset_collection_and_distribution(src: MemorySource) -> None:
    assert ask(src, "kk", "member-ds").decision == PERMIT
    other = ask(src, "kk", "other-ds")
    assert other.decision == NOT_APPLICABLE and "no policy governs" in decision_dict(other)["summary"]
    d = ask(src, "kk", "ds-csv")  # a distribution is governed by its dataset's policy
    assert d.decision == PERMIT and d.governing[0].policy.iri == EX + "ds-policy"
    assert ask(src, "kk", "sensor-ds", action="odrl:read").decision == PERMIT  # collection by refinement
    assert ask(src, "kk", "other-ds", action="odrl:read").decision == NOT_APPLICABLE


def test_policy_level_properties_and_explicit_targets(src: MemorySource) -> None:
    assert ask(src, "acme", "a-agree").decision == PERMIT  # target and assignee given on the Agreement
    assert ask(src, "bob", "a-agree").decision == NOT_APPLICABLE
    assert ask(src, "kk", "a-explicit").decision == PERMIT
    # the policy is found through a rule's target, not attached: its untargeted rule does not apply
    assert ask(src, "bob", "a-explicit").decision == NOT_APPLICABLE


def test_a_request_grants_nothing(src: MemorySource) -> None:
    d = ask(src, "kk", "a-request")
    assert d.decision == NOT_APPLICABLE and not d.governing


# -- conflict strategies --------------------------------------------------------------------------------
@pytest.mark.parametrize(("asset", "commercial", "strategy"), [
    ("a-perm", PERMIT, "odrl:perm"), ("a-prohibit", DENY, "odrl:prohibit"), ("a-invalid", DENY, "odrl:invalid"),
    ("a-default", DENY, "odrl:invalid"), ("a-mixed", DENY, "odrl:invalid"), ("a-both-perm", PERMIT, "odrl:perm"),
])
def test_conflict_strategies(src: MemorySource, asset: str, commercial: str, strategy: str) -> None:
    assert ask(src, "acme", asset, purpose="research").decision == PERMIT  # no conflict: the permission alone
    d = ask(src, "acme", asset, purpose="marketing")
    body = decision_dict(d)
    assert d.decision == commercial and body["conflict"]["strategy"] == strategy.replace("odrl:", ODRL)
    if strategy == "odrl:invalid":  # the summary says what that means
        assert "void" in body["summary"]


# -- inheritance ------------------------------------------------------------------------------------------
def test_inheritance(src: MemorySource) -> None:
    d = ask(src, "acme", "a-child", purpose="marketing")
    assert d.decision == DENY
    assert d.decided_by[0].rule.policy == EX + "parent"
    assert {g.via for g in d.governing} == {"hasPolicy", "inheritFrom http://example.org/child"}
    assert ask(src, "acme", "a-child", purpose="research").decision == PERMIT
    assert ask(src, "acme", "a-cycle", action="odrl:read").decision == PERMIT  # cycles end
    orphan = ask(src, "acme", "a-orphan")
    assert orphan.decision == PERMIT and "not found" in orphan.notes[0]


# -- actions -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("action", "expected"), [
    ("odrl:use", PERMIT), ("odrl:read", PERMIT), ("odrl:distribute", PERMIT), ("odrl:aggregate", PERMIT),
    ("odrl:write", PERMIT),  # write is an exact match of modify, which use includes
    ("odrl:sell", NOT_APPLICABLE),  # sell is included in transfer, not in use
])
def test_use_covers_the_actions_included_in_it(src: MemorySource, action: str, expected: str) -> None:
    assert ask(src, "bob", "a-use", action=action).decision == expected


def test_prohibition_of_a_narrower_action(src: MemorySource) -> None:
    d = ask(src, "bob", "a-nodist")
    assert d.decision == PERMIT
    assert any("odrl:distribute stays prohibited" in c for c in decision_dict(d)["caveats"])
    assert ask(src, "bob", "a-nodist", action="odrl:distribute").decision == DENY
    # ex:publish is declared in the store: included in use, implies distribute (so a distribute ban covers it)
    published = ask(src, "bob", "a-nodist", action=EX + "publish")
    assert published.decision == DENY and published.conflict is not None
    assert published.conflict.strategy == PROHIBIT


def test_refined_action(src: MemorySource) -> None:
    assert ask(src, "bob", "a-print", action="odrl:print", count=5).decision == PERMIT
    assert ask(src, "bob", "a-print", action="odrl:print", count=11).decision == NOT_APPLICABLE
    assert ask(src, "bob", "a-print", action="odrl:read").decision == NOT_APPLICABLE


def test_action_hierarchy_basics() -> None:
    h = ActionHierarchy()
    assert h.covers(ODRL + "use", ODRL + "read") and not h.covers(ODRL + "read", ODRL + "use")
    assert h.covers(ODRL + "play", ODRL + "display") and h.covers(ODRL + "use", ODRL + "display")
    assert h.covers(ODRL + "transfer", ODRL + "sell") and not h.covers(ODRL + "use", ODRL + "sell")
    assert h.canonical(ODRL + "write") == ODRL + "modify"
    assert h.narrower_than(ODRL + "distribute", ODRL + "use")


# -- duties and obligations ------------------------------------------------------------------------------------
def test_duties_come_with_the_permit(src: MemorySource) -> None:
    d = ask(src, "acme", "a-duty")
    assert d.decision == PERMIT
    body = decision_dict(d)
    texts = sorted(x["text"] for x in body["duties"])
    assert texts == ["credit http://example.org/kk", "delete the data (odrl:elapsedTime lteq P30D)"]
    assert body["obligations"][0]["duties"] == ["inform http://example.org/kk"]
    text = decision_text(d)
    assert "Duties that come with this permission" in text and "delete the data" in text


def test_violated_duty_deactivates_the_permission(src: MemorySource) -> None:
    engine = engine_for(src)
    base = Request(party=EX + "acme", target=EX + "a-duty")
    assert engine.check(base).decision == PERMIT
    fulfilled = Request(party=EX + "acme", target=EX + "a-duty", duty_states=((EX + "delete-duty", "fulfilled"),))
    assert engine.check(fulfilled).decision == PERMIT
    violated = Request(party=EX + "acme", target=EX + "a-duty", duty_states=((EX + "delete-duty", "violated"),))
    assert engine.check(violated).decision == NOT_APPLICABLE


# -- explanations and caching -----------------------------------------------------------------------------
def test_explanation_names_rule_policy_and_values(src: MemorySource) -> None:
    d = ask(src, "acme", "a-prohibit", purpose="marketing")
    body = decision_dict(d)
    assert body["decided_by"] == [{"policy": EX + "prohibit-policy", "rule": f"{EX}prohibit-policy prohibition #1",
                                   "rule_id": None, "kind": "prohibition"}]
    prohibition = next(r for r in body["rules"] if r["kind"] == "prohibition")
    leaf = prohibition["constraints"][0]
    assert (leaf["left"], leaf["operator"], leaf["right"], leaf["value"], leaf["holds"]) == (
        ODRL + "purpose", ODRL + "isA", [EX + "commercial"], [EX + "marketing"], True)
    assert body["request"]["purpose"] == [EX + "marketing"]


def test_agora_store_changes_invalidate_the_caches(store: Any, tmp_path: Path) -> None:
    load_files(store, [WORLD], name="world", validate=False)
    allow = tmp_path / "allow.ttl"
    allow.write_text("@prefix ex: <http://example.org/> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .\n"
                     "ex:open a odrl:Set ; odrl:permission [ odrl:action odrl:use ] . ex:ds odrl:hasPolicy ex:open .\n")
    deny = tmp_path / "deny.ttl"
    deny.write_text("@prefix ex: <http://example.org/> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .\n"
                    "ex:closed a odrl:Set ; odrl:prohibition [ odrl:action odrl:use ] .\n"
                    "ex:ds odrl:hasPolicy ex:closed .\n")
    assert check(store, EX + "kk", "odrl:use", EX + "ds").decision == NOT_APPLICABLE
    load_files(store, [allow], name="allow", validate=False)
    assert check(store, EX + "kk", "odrl:use", EX + "ds").decision == PERMIT
    load_files(store, [deny], name="deny", validate=False)
    assert check(store, EX + "kk", "odrl:use", EX + "ds").decision == DENY  # default strategy: invalid
    delete_source(store, "deny")
    assert check(store, EX + "kk", "odrl:use", EX + "ds").decision == PERMIT
