"""Finding contradictions: a permission and a prohibition that can both apply to the same request.

For every asset (grouped by the policies that govern it) and every (permission, prohibition)
pair among those policies, the search builds candidate requests from the rules themselves: an
action both cover, parties they name (or members of the collections they name), and for every
left operand their constraints test, the right operands and what lies just inside and outside
them (narrower purposes, contained places, the day before and after a deadline). Each candidate
is checked with the real evaluator, so a reported conflict always comes with a witness request
for which both rules apply, and with what the engine decides for it under the policies'
conflict strategy. The search is bounded; a pair that needs values the rules do not mention is
not found (the report says how many pairs were examined).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from .catalog import _governing, _groups, _target_independent
from .engine import Governing, Snapshot, decide_from, engine_for
from .evaluate import Evaluator
from .explanations import summary
from .model import Constraint, Request, Rule, leaves
from .terms import ANY_PARTY, COUNT, DATETIME, ELAPSED_TIME, INDUSTRY, PURPOSE_OP, RECIPIENT, SPATIAL, USE, compact
from .values import Day, Duration, parse_duration, show_value, to_value

MAX_CANDIDATES = 2000
"""Candidate requests tried per (permission, prohibition) pair."""


@dataclass(frozen=True)
class ConflictReport:
    assets: tuple[str, ...]
    permission: Rule
    prohibition: Rule
    witness: Request
    decision: str
    summary: str
    strategy: str

    def to_dict(self, max_assets: int = 50) -> dict[str, Any]:
        return {
            "assets": list(self.assets[:max_assets]), "asset_count": len(self.assets),
            "permission": {"policy": self.permission.policy, "rule": self.permission.label},
            "prohibition": {"policy": self.prohibition.policy, "rule": self.prohibition.label},
            "witness": self.witness.to_dict(), "decision": self.decision, "strategy": self.strategy,
            "summary": self.summary,
        }


def _rule_leaves(rule: Rule) -> list[Constraint]:
    found = leaves(rule.constraints)
    for a in rule.actions:
        found += leaves(a.refinements)
    return found


class WitnessSearch:
    """Builds and checks candidate requests for one snapshot."""

    def __init__(self, snap: Snapshot, now: datetime) -> None:
        self.snap = snap
        self.k = snap.knowledge
        self.now = now
        self.evaluator = Evaluator(snap.knowledge, snap.actions, now)
        self.pairs_examined = 0

    def actions(self, perm: Rule, proh: Rule) -> list[str]:
        candidates = [a.iri for a in perm.actions + proh.actions] or [USE]
        return [c for c in dict.fromkeys(candidates)
                if (not perm.actions or any(self.snap.actions.covers(a.iri, c) for a in perm.actions))
                and (not proh.actions or any(self.snap.actions.covers(a.iri, c) for a in proh.actions))]

    def parties(self, perm: Rule, proh: Rule) -> list[str]:
        found: list[str] = []
        for ref in perm.assignees + proh.assignees:
            if ref.is_collection:
                found += self.k.descendants(ref.iri, "party", limit=20)
                if ref.refinements:
                    found += [p for p in self._known_parties()]
            else:
                found.append(ref.iri)
        return list(dict.fromkeys(found)) or [ANY_PARTY]

    def _known_parties(self) -> list[str]:
        rows = self.snap.memo.get(("parties",))
        if rows is None:
            result = self.k.source.select(
                "SELECT DISTINCT ?p WHERE { ?p agora:hasRole|odrl:partOf|foaf:name ?x . FILTER(isIRI(?p)) } "
                "ORDER BY ?p LIMIT 200")
            rows = [r[0] for r in result if isinstance(r[0], str)]
            self.snap.remember(("parties",), rows)
        return rows  # type: ignore[return-value]

    def values(self, constraints: list[Constraint]) -> dict[str, list[object]]:
        """Candidate values per left operand, from the right operands of the constraints that test it."""
        per: dict[str, list[object]] = {}
        for c in constraints:
            bucket = per.setdefault(c.left, [])
            for term in c.right:
                value = to_value(term)
                if c.left in (PURPOSE_OP, INDUSTRY, RECIPIENT) and isinstance(term, str):
                    bucket += [term, *self.k.descendants(term, "isA", limit=10)]
                elif c.left == SPATIAL and isinstance(term, str):
                    bucket += [term, *self.k.descendants(term, "partOf", limit=10)]
                elif c.left == DATETIME and isinstance(value, datetime | Day):
                    base = value.start + timedelta(hours=12) if isinstance(value, Day) else value
                    bucket += [base - timedelta(days=1), base, base + timedelta(days=1)]
                elif c.left == COUNT and isinstance(value, Decimal):
                    bucket += [int(value) - 1, int(value), int(value) + 1]
                elif c.left == ELAPSED_TIME and isinstance(value, Duration):
                    bucket += [value.lexical, "PT0S", "P100Y"]
                else:
                    bucket.append(term)
        return {k: list(dict.fromkeys(v)) for k, v in per.items()}

    def request(self, party: str, action: str, target: str | None, combo: dict[str, object]) -> Request:
        def iris(key: str) -> tuple[str, ...]:
            value = combo.get(key)
            return (value,) if isinstance(value, str) else ()

        extra = tuple((k, (v,)) for k, v in combo.items()
                      if k not in (PURPOSE_OP, SPATIAL, RECIPIENT, INDUSTRY, DATETIME, COUNT, ELAPSED_TIME)
                      and v is not None)
        at = combo.get(DATETIME)
        count = combo.get(COUNT)
        elapsed = combo.get(ELAPSED_TIME)
        return Request(
            party=party, action=action, target=target, purpose=iris(PURPOSE_OP), spatial=iris(SPATIAL),
            recipient=iris(RECIPIENT), industry=iris(INDUSTRY), at=at if isinstance(at, datetime) else None,
            count=count if isinstance(count, int) else None,
            elapsed=elapsed if isinstance(elapsed, str) and parse_duration(elapsed) else None,
            extra=extra)  # type: ignore[arg-type]

    def witness(self, perm: Rule, proh: Rule, target: str | None) -> Request | None:
        """A request both rules apply to, or None if the bounded search finds none."""
        self.pairs_examined += 1
        actions = self.actions(perm, proh)
        if not actions:
            return None
        values = self.values(_rule_leaves(perm) + _rule_leaves(proh))
        keys = sorted(values)
        spaces = [[None, *values[k]] for k in keys]
        tried = 0
        for action in actions:
            for party in self.parties(perm, proh):
                for combo_values in itertools.product(*spaces):
                    tried += 1
                    if tried > MAX_CANDIDATES:
                        return None
                    combo = dict(zip(keys, combo_values, strict=True))
                    request = self.request(party, action, target, combo)
                    if self.snap.outcome(self.evaluator, perm, request).state is not True:
                        continue
                    if self.snap.outcome(self.evaluator, proh, request).state is True:
                        return request
        return None


def find_conflicts(store: Any, *, now: datetime | None = None) -> tuple[list[ConflictReport], int]:
    """Every (permission, prohibition) pair that can both apply to some request, per asset group; and pairs examined."""
    snap = engine_for(store).snapshot()
    search = WitnessSearch(snap, now or datetime.now(UTC).replace(second=0, microsecond=0))
    groups, _index = _groups(snap)
    reports: list[ConflictReport] = []
    for key in sorted(groups, key=lambda k: sorted(k)):
        assets = sorted(groups[key])
        governing = _governing(snap, key)
        if _target_independent(governing):
            reports += _group_conflicts(search, governing, assets, None)
        else:
            for asset in assets:
                reports += _group_conflicts(search, governing, [asset], asset)
    return _merge(reports), search.pairs_examined


def _group_conflicts(search: WitnessSearch, governing: list[Governing], assets: list[str],
                     target: str | None) -> list[ConflictReport]:
    rules = [(g, r) for g in governing for r in g.policy.rules if r.targets or g.attached]
    perms = [r for _, r in rules if r.kind == "permission"]
    prohs = [r for _, r in rules if r.kind == "prohibition"]
    out = []
    for perm in perms:
        for proh in prohs:
            witness = search.witness(perm, proh, target)
            if witness is None:
                continue
            witness = witness.with_target(target or assets[0])
            evaluator = search.evaluator
            outcomes = tuple(search.snap.outcome(evaluator, r, witness) for _, r in rules)
            decision = decide_from(witness, witness.at or search.now, tuple(governing), outcomes)
            strategy = decision.conflict.strategy if decision.conflict else ""
            out.append(ConflictReport(tuple(assets), perm, proh, witness, decision.decision, summary(decision),
                                      strategy))
    return out


def _merge(reports: list[ConflictReport]) -> list[ConflictReport]:
    """One report per (permission, prohibition) pair, listing every asset it was found for."""
    merged: dict[tuple[str, str, str, str], ConflictReport] = {}
    for r in reports:
        key = (r.permission.policy, r.permission.id, r.prohibition.policy, r.prohibition.id)
        if key in merged:
            prev = merged[key]
            merged[key] = ConflictReport(tuple(sorted(set(prev.assets) | set(r.assets))), prev.permission,
                                         prev.prohibition, prev.witness, prev.decision, prev.summary, prev.strategy)
        else:
            merged[key] = r
    return sorted(merged.values(), key=lambda r: (r.permission.policy, r.permission.label, r.prohibition.label))


def witness_text(request: Request) -> str:
    parts = [f"party {compact(request.party)}", f"action {compact(request.action)}"]
    if request.purpose:
        parts.append("purpose " + ", ".join(map(compact, request.purpose)))
    if request.spatial:
        parts.append("spatial " + ", ".join(map(compact, request.spatial)))
    if request.at:
        parts.append("at " + show_value(request.at))
    return ", ".join(parts)
