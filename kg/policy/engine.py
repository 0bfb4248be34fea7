"""The decision procedure: which policies govern a request, which of their rules apply, who wins.

For a request (party, action, target, context) the engine
1. finds the governing policies: those attached to the target or to an asset it belongs to
   (odrl:hasPolicy; a distribution is governed by its dataset's policies), those whose rules
   name it (or a collection it is in) as odrl:target, and, transitively, the policies they
   odrl:inheritFrom;
2. evaluates every permission and prohibition of those policies (evaluate.py). Rules without a
   target govern the assets their policy is attached to; several policies are pooled as one,
   as ODRL does for inheritance;
3. decides: Permit when an applicable permission and no applicable prohibition remain, Deny
   when a prohibition applies and no permission does, NotApplicable when neither. When both
   apply the policies' conflict strategy decides: odrl:perm -> Permit, odrl:prohibit -> Deny,
   odrl:invalid -> the policy is void for this request and grants nothing, reported as Deny.
   ODRL's default is odrl:invalid ("If no strategy is specified, the default is invalid",
   ODRL 2.2 vocabulary). When the policies involved state different strategies, invalid applies:
   neither side's preference can be taken for the other's.

Everything derived from the store lives in a Snapshot tied to one store generation; rule
outcomes are memoised per (rule, request) within it, so deciding for 100,000 datasets sharing
1,000 policies evaluates each policy once, not each dataset.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .actions import ActionHierarchy
from .evaluate import DutyResult, Evaluator, RuleOutcome
from .knowledge import Knowledge
from .model import EntityRef, Policy, Request, Rule, leaves
from .operands import USE_OPERANDS
from .reader import read_policies
from .source import MemorySource, Source, as_source
from .terms import ANY_PARTY, DEFAULT_CONFLICT, INVALID, PERM, PROHIBIT, compact

PERMIT, DENY, NOT_APPLICABLE = "Permit", "Deny", "NotApplicable"

_MEMO_LIMIT = 200_000


@dataclass(frozen=True)
class Governing:
    """A policy that governs the request, and whether it is attached to the target (so its untargeted rules apply)."""

    policy: Policy
    attached: bool
    via: str
    """How it was found: 'hasPolicy', 'target', 'inheritFrom <child>' or 'requested'."""


@dataclass(frozen=True)
class Conflict:
    strategy: str
    stated: tuple[tuple[str, str | None], ...]
    """(policy, its odrl:conflict or None) for each policy with a conflicting rule."""
    permissions: tuple[RuleOutcome, ...]
    prohibitions: tuple[RuleOutcome, ...]


@dataclass
class Decision:
    decision: str
    request: Request
    at: datetime
    governing: tuple[Governing, ...] = ()
    outcomes: tuple[RuleOutcome, ...] = ()
    decided_by: tuple[RuleOutcome, ...] = ()
    conflict: Conflict | None = None
    duties: tuple[DutyResult, ...] = ()
    obligations: tuple[RuleOutcome, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def permitted(self) -> bool:
        return self.decision == PERMIT


def combine_strategies(stated: Iterable[str | None]) -> str:
    """One strategy for the policies involved in a conflict: theirs if they agree, otherwise invalid."""
    effective = {s or DEFAULT_CONFLICT for s in stated}
    return effective.pop() if len(effective) == 1 else INVALID


class Snapshot:
    """Policies, hierarchies and memoised outcomes for one generation of the store."""

    def __init__(self, source: Source) -> None:
        self.generation = source.generation
        self.knowledge = Knowledge(source)
        self.policies: dict[str, Policy] = read_policies(source)
        self.actions = ActionHierarchy.from_rows(self.knowledge.action_relations())
        self.explicit: dict[str, set[str]] = {}
        """Asset IRI -> policies with a rule naming it as odrl:target."""
        self.refined: list[tuple[str, EntityRef]] = []
        """(policy, asset collection defined by refinement) for every rule targeting one."""
        for policy in self.policies.values():
            for rule in policy.rules:
                for ref in rule.targets:
                    self.explicit.setdefault(ref.iri, set()).add(policy.iri)
                    if ref.refinements and (policy.iri, ref) not in self.refined:
                        self.refined.append((policy.iri, ref))
        self.memo: dict[tuple[object, ...], object] = {}
        self.lock = threading.Lock()

    def remember(self, key: tuple[object, ...], value: object) -> None:
        with self.lock:
            if len(self.memo) > _MEMO_LIMIT:
                self.memo.clear()
            self.memo[key] = value

    # -- which policies govern ---------------------------------------------------------------
    def collection_members(self, ref: EntityRef) -> frozenset[str] | None:
        """The assets in a collection defined by refinement; None when its refinement tests the use, not the asset.

        Candidates are the assets that have a value for an attribute the refinement tests (plus the
        declared members), each checked with the evaluator, so `dct:type eq ex:SensorData` costs one
        query and one check per typed asset, not one per dataset in the store.
        """
        key = ("members", ref)
        if key in self.memo:
            return self.memo[key]  # type: ignore[return-value]
        attributes = {leaf.left for leaf in leaves(ref.refinements) if leaf.left not in USE_OPERANDS}
        members: frozenset[str] | None = None
        if attributes:
            candidates = set(self.knowledge.descendants(ref.iri, "asset", limit=1_000_000))
            for attribute in attributes:
                candidates |= self.knowledge.subjects_with(attribute)
            evaluator = Evaluator(self.knowledge, self.actions, datetime.now(UTC))
            members = frozenset(c for c in candidates if evaluator.target_premise(
                (ref,), Request(party=ANY_PARTY, target=c)).state is True)
        self.remember(key, members)
        return members

    def governing(self, target: str) -> list[Governing]:
        found: dict[str, Governing] = {}
        for iri in sorted(self.knowledge.linked_policies(target)):
            if iri in self.policies:
                found[iri] = Governing(self.policies[iri], True, "hasPolicy")
        containers = self.knowledge.ancestors(target, "asset")
        named = set().union(*(self.explicit.get(c, set()) for c in containers))
        for policy, ref in self.refined:
            members = self.collection_members(ref)
            if members is None or containers & members:
                named.add(policy)
        for iri in sorted(named - found.keys()):
            found[iri] = Governing(self.policies[iri], False, "target")
        return self.with_parents(list(found.values()))

    def with_parents(self, governing: list[Governing]) -> list[Governing]:
        """Add the policies each one inherits from (odrl:inheritFrom, transitively; cycles are cut)."""
        out = {g.policy.iri: g for g in governing}
        todo = list(governing)
        while todo:
            child = todo.pop()
            for parent in child.policy.inherit_from:
                if parent in out or parent not in self.policies:
                    continue
                g = Governing(self.policies[parent], child.attached, f"inheritFrom {compact(child.policy.iri)}")
                out[parent] = g
                todo.append(g)
        return list(out.values())

    def missing_parents(self, governing: list[Governing]) -> list[str]:
        return sorted({p for g in governing for p in g.policy.inherit_from if p not in self.policies})

    # -- evaluation ----------------------------------------------------------------------------
    def outcome(self, evaluator: Evaluator, rule: Rule, request: Request) -> RuleOutcome:
        context = request if rule.targets else request.context_key()
        key = ("rule", rule.policy, rule.id, rule.kind, context, evaluator.now)
        hit = self.memo.get(key)
        if hit is None:
            hit = evaluator.rule(rule, context)
            self.remember(key, hit)
        return hit  # type: ignore[return-value]

    def decide(self, request: Request, governing: list[Governing], now: datetime) -> Decision:
        evaluator = Evaluator(self.knowledge, self.actions, now)
        at = request.at or now
        outcomes: list[RuleOutcome] = []
        for g in governing:
            for rule in g.policy.rules:
                if not rule.targets and not g.attached:
                    continue  # an untargeted rule of a policy that is not attached to this asset
                outcomes.append(self.outcome(evaluator, rule, request))
        decision = decide_from(request, at, tuple(governing), tuple(outcomes))
        missing = self.missing_parents(governing)
        if missing:
            decision.notes.append("inherited policies not found in the store: " + ", ".join(map(compact, missing)))
        return decision


def decide_from(request: Request, at: datetime, governing: tuple[Governing, ...],
                outcomes: tuple[RuleOutcome, ...]) -> Decision:
    """Combine rule outcomes into Permit / Deny / NotApplicable (see the module docstring)."""
    perms = [o for o in outcomes if o.rule.kind == "permission" and o.state is True]
    prohs = [o for o in outcomes if o.rule.kind == "prohibition" and o.state is True]
    obligations = tuple(o for o in outcomes if o.rule.kind == "obligation" and o.state is True)
    perms.sort(key=lambda o: (len(o.rule.duties), o.rule.policy, o.rule.kind, o.rule.ordinal))
    if not governing:
        return Decision(NOT_APPLICABLE, request, at, notes=["no policy governs this target"])
    if perms and prohs:
        involved = {o.rule.policy for o in perms + prohs}
        stated = tuple((g.policy.iri, g.policy.conflict) for g in governing if g.policy.iri in involved)
        strategy = combine_strategies(s for _, s in stated)
        conflict = Conflict(strategy, stated, tuple(perms), tuple(prohs))
        if strategy == PERM:
            return Decision(PERMIT, request, at, governing, outcomes, (perms[0],), conflict,
                            perms[0].duties, obligations)
        if strategy == PROHIBIT:
            return Decision(DENY, request, at, governing, outcomes, tuple(prohs), conflict)
        return Decision(DENY, request, at, governing, outcomes, tuple(perms + prohs), conflict)
    if perms:
        return Decision(PERMIT, request, at, governing, outcomes, (perms[0],), None, perms[0].duties, obligations)
    if prohs:
        return Decision(DENY, request, at, governing, outcomes, tuple(prohs))
    return Decision(NOT_APPLICABLE, request, at, governing, outcomes)


class PolicyEngine:
    """Decisions over one store; rebuilds its snapshot when the store's generation changes."""

    def __init__(self, store: Any) -> None:
        self.source = as_source(store)
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()
        me = weakref.ref(self)

        def invalidate() -> None:
            engine = me()
            if engine is not None:
                engine._snapshot = None

        self.source.on_change(invalidate)

    def snapshot(self) -> Snapshot:
        snap = self._snapshot
        generation = self.source.generation
        if snap is None or snap.generation != generation:
            with self._lock:
                snap = self._snapshot
                if snap is None or snap.generation != generation:
                    snap = Snapshot(self.source)
                    self._snapshot = snap
        return snap

    def check(self, request: Request, *, policies: Iterable[str] | None = None,
              now: datetime | None = None) -> Decision:
        """Decide `request`. With `policies`, evaluate exactly those (their untargeted rules apply to any target)."""
        snap = self.snapshot()
        now = now or datetime.now(UTC).replace(microsecond=0)
        if policies is not None:
            chosen = [Governing(snap.policies[p], True, "requested") for p in policies if p in snap.policies]
            governing = snap.with_parents(chosen)
        elif request.target is None:
            governing = []
        else:
            governing = snap.governing(request.target)
        return snap.decide(request, governing, now)


_ENGINES: weakref.WeakKeyDictionary[Any, PolicyEngine] = weakref.WeakKeyDictionary()
_ENGINES_LOCK = threading.Lock()


def engine_for(store: Any) -> PolicyEngine:
    """The engine (and its caches) for a store: one per AgoraStore or MemorySource, made on first use."""
    if not isinstance(store, MemorySource) and not hasattr(store, "listeners"):
        return PolicyEngine(store)  # a bare pyoxigraph store cannot tell us when it changes: no caching
    with _ENGINES_LOCK:
        engine = _ENGINES.get(store)
        if engine is None:
            engine = PolicyEngine(store)
            _ENGINES[store] = engine
        return engine
