"""Policy decisions for the rest of Agora: which datasets a stakeholder may use, and use-case data flows.

`usable_datasets` answers "usable by X (for purpose P)" over the whole catalog. Datasets are
grouped by the set of policies that govern them (odrl:hasPolicy, or named as a rule target);
a group whose rules name no targets gets one decision for all its datasets, so 100,000 datasets
under 1,000 policies cost 1,000 decisions, and each rule outcome is memoised per request on top.
The dataset grouping and the answers are cached until the store changes. Decisions for "now"
use the current minute, so answers can be reused within it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .engine import Governing, Snapshot, engine_for
from .explanations import duty_text, summary
from .inputs import build_request
from .knowledge import iri_ref
from .model import Request
from .terms import AGORA

GroupKey = frozenset[tuple[str, bool]]
"""(policy IRI, attached) pairs: the policies governing a group of datasets."""


def _now_minute() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0)


def _groups(snap: Snapshot) -> tuple[dict[GroupKey, list[str]], dict[str, GroupKey]]:
    """Assets with policies, grouped by governing policy set; cached per snapshot."""
    hit = snap.memo.get(("groups",))
    if hit is not None:
        return hit  # type: ignore[return-value]
    per_asset: dict[str, set[tuple[str, bool]]] = {}
    for asset, policies in snap.knowledge.policy_links().items():
        per_asset[asset] = {(p, True) for p in policies if p in snap.policies}
    named: dict[str, set[str]] = {asset: set(policies) for asset, policies in snap.explicit.items()}
    everywhere: set[str] = set()
    for policy, ref in snap.refined:
        members = snap.collection_members(ref)
        if members is None:
            everywhere.add(policy)  # refined on the use, not the asset: it may govern any asset
        for asset in members or ():
            named.setdefault(asset, set()).add(policy)
    for asset in everywhere:
        named.setdefault(asset, set())
    for asset, policies in named.items():
        entry = per_asset.setdefault(asset, set())
        attached = {p for p, _ in entry}
        entry.update((p, False) for p in policies if p not in attached)
    if everywhere:
        for entry in per_asset.values():
            attached = {p for p, _ in entry}
            entry.update((p, False) for p in everywhere if p not in attached)
    groups: dict[GroupKey, list[str]] = {}
    index: dict[str, GroupKey] = {}
    for asset, entry in per_asset.items():
        if not entry:
            continue
        key = frozenset(entry)
        groups.setdefault(key, []).append(asset)
        index[asset] = key
    result = (groups, index)
    snap.remember(("groups",), result)
    return result


def _governing(snap: Snapshot, key: GroupKey) -> list[Governing]:
    cached = snap.memo.get(("governing", key))
    if cached is None:
        chosen = [Governing(snap.policies[p], attached, "hasPolicy" if attached else "target")
                  for p, attached in sorted(key)]
        cached = snap.with_parents(chosen)
        snap.remember(("governing", key), cached)
    return cached  # type: ignore[return-value]


def _target_independent(governing: list[Governing]) -> bool:
    return all(g.attached and not any(r.targets for r in g.policy.rules) for g in governing)


def _permitted(snap: Snapshot, key: GroupKey, asset: str, request: Request, now: datetime) -> bool:
    governing = _governing(snap, key)
    if _target_independent(governing):
        memo_key = ("group", key, request.context_key(), now)
        hit = snap.memo.get(memo_key)
        if hit is None:
            hit = snap.decide(request.context_key(), governing, now).permitted
            snap.remember(memo_key, hit)
        return bool(hit)
    return snap.decide(request.with_target(asset), governing, now).permitted


def _request(stakeholder: str, purpose: str | Iterable[str] | None, action: str,
             at: str | datetime | None) -> Request:
    return build_request(party=stakeholder, action=action, purpose=purpose, at=at)


def usable_datasets(store: Any, stakeholder: str, purpose: str | Iterable[str] | None = None,
                    action: str = "odrl:use", *, at: str | datetime | None = None) -> set[str]:
    """IRIs of the datasets (assets with a policy) `stakeholder` may `action` for `purpose`: decision Permit."""
    snap = engine_for(store).snapshot()
    request = _request(stakeholder, purpose, action, at)
    now = _now_minute()
    memo_key = ("usable", request, now)
    hit = snap.memo.get(memo_key)
    if hit is None:
        groups, _index = _groups(snap)
        found: set[str] = set()
        for key, assets in groups.items():
            governing = _governing(snap, key)
            if _target_independent(governing):
                if _permitted(snap, key, assets[0], request, now):
                    found.update(assets)
            else:
                found.update(a for a in assets if _permitted(snap, key, a, request, now))
        hit = frozenset(found)
        snap.remember(memo_key, hit)
    return set(hit)  # type: ignore[arg-type]


def filter_usable(store: Any, datasets: Iterable[str], stakeholder: str, purpose: str | Iterable[str] | None = None,
                  action: str = "odrl:use", *, at: str | datetime | None = None) -> list[str]:
    """The datasets of one page (in their order) that `stakeholder` may use: decides only those."""
    snap = engine_for(store).snapshot()
    request = _request(stakeholder, purpose, action, at)
    now = _now_minute()
    _groups_, index = _groups(snap)
    out = []
    for d in datasets:
        key = index.get(d)
        if key is not None and _permitted(snap, key, d, request, now):
            out.append(d)
    return out


def use_case_flows(store: Any, use_case_iri: str, *, at: str | datetime | None = None) -> list[dict[str, Any]]:
    """For each agora:dataFlow of a use case: the recipient's decision for the flow's dataset and purpose, with duties.

    The flow's agora:governedBy is reported next to the policies the engine found, so a flow that
    names a policy the dataset is not actually governed by shows up as inconsistent.
    """
    engine = engine_for(store)
    snap = engine.snapshot()
    rows = snap.knowledge.source.select(
        f"SELECT ?flow ?dataset ?provider ?recipient ?policy ?purpose ?action WHERE {{ "
        f"{iri_ref(use_case_iri)} <{AGORA}dataFlow> ?flow . "
        f"OPTIONAL {{ ?flow <{AGORA}flowDataset> ?dataset }} OPTIONAL {{ ?flow <{AGORA}provider> ?provider }} "
        f"OPTIONAL {{ ?flow <{AGORA}recipient> ?recipient }} OPTIONAL {{ ?flow <{AGORA}governedBy> ?policy }} "
        f"OPTIONAL {{ ?flow <{AGORA}purpose> ?purpose }} OPTIONAL {{ ?flow <{AGORA}action> ?action }} }}")
    flows: dict[str, dict[str, Any]] = {}
    for flow, dataset, provider, recipient, policy, purpose, action in rows:
        entry = flows.setdefault(str(flow), {"dataset": dataset, "provider": provider, "recipient": recipient,
                                             "governed_by": set(), "purposes": set(), "action": action})
        if policy:
            entry["governed_by"].add(policy)
        if purpose:
            entry["purposes"].add(purpose)
    results = []
    for entry in flows.values():
        out: dict[str, Any] = {
            "dataset": entry["dataset"], "provider": entry["provider"], "recipient": entry["recipient"],
            "purpose": sorted(entry["purposes"]), "governed_by": sorted(entry["governed_by"]),
        }
        if not entry["dataset"] or not entry["recipient"]:
            out.update(decision="NotApplicable", summary="the flow names no dataset or no recipient", duties=[])
            results.append(out)
            continue
        request = build_request(party=entry["recipient"], action=entry["action"] or "odrl:use",
                                target=entry["dataset"], purpose=sorted(entry["purposes"]), at=at)
        decision = engine.check(request)
        found = {g.policy.iri for g in decision.governing}
        out.update(
            decision=decision.decision, summary=summary(decision),
            decided_by=[{"policy": o.rule.policy, "rule": o.rule.label} for o in decision.decided_by],
            duties=[duty_text(d.rule, d.constraints) for d in decision.duties]
            + [duty_text(o.rule, o.constraints) for o in decision.obligations],
            policies=sorted(found),
            consistent=set(entry["governed_by"]) <= found,
        )
        results.append(out)
    results.sort(key=lambda r: (str(r["dataset"]), str(r["recipient"])))
    return results
