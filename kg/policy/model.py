"""The policy model the engine evaluates: plain, immutable Python objects built from RDF once.

Policies are parsed once per store generation (see reader.py) and then evaluated many times,
so evaluation never touches RDF terms: IRIs are `str`, blank nodes are `"_:id"` strings and
literals are `Lit`. Everything is frozen and hashable, which is what lets the engine memoise
rule outcomes per (rule, request) instead of per dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from .terms import ODRL, compact


@dataclass(frozen=True)
class Lit:
    """An RDF literal: lexical form, datatype IRI and optional language tag."""

    value: str
    datatype: str
    language: str | None = None

    def __str__(self) -> str:
        if self.language:
            return f'"{self.value}"@{self.language}'
        short = compact(self.datatype)
        return f'"{self.value}"^^{short}' if not short.endswith(":string") else f'"{self.value}"'


Term = str | Lit
"""An IRI, a blank node ("_:id") or a literal."""


def show(term: Term) -> str:
    """A term as a person reads it in an explanation."""
    if isinstance(term, Lit):
        return str(term)
    return compact(term)


@dataclass(frozen=True)
class Constraint:
    """One `leftOperand operator rightOperand` test (a constraint, or a refinement of an action/collection)."""

    id: str
    left: str
    operator: str
    right: tuple[Term, ...]
    right_reference: tuple[str, ...] = ()
    unit: str | None = None
    data_type: str | None = None


@dataclass(frozen=True)
class LogicalConstraint:
    """and / or / xone / andSequence over other constraints."""

    id: str
    operator: str
    operands: tuple[ConstraintNode, ...]


ConstraintNode = Constraint | LogicalConstraint


def leaves(nodes: tuple[ConstraintNode, ...]) -> list[Constraint]:
    """The plain constraints inside (possibly nested) logical constraints."""
    out: list[Constraint] = []
    for node in nodes:
        out.extend(leaves(node.operands) if isinstance(node, LogicalConstraint) else [node])
    return out


@dataclass(frozen=True)
class ActionRef:
    """An action, possibly refined (`odrl:action [ rdf:value odrl:print ; odrl:refinement ... ]`)."""

    iri: str
    refinements: tuple[ConstraintNode, ...] = ()


@dataclass(frozen=True)
class EntityRef:
    """A party or an asset a rule names: one IRI, or a collection defined by membership and/or refinement."""

    iri: str
    is_collection: bool = False
    refinements: tuple[ConstraintNode, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A permission, prohibition, obligation or duty, with policy-level defaults already applied."""

    id: str
    kind: str
    """'permission', 'prohibition', 'obligation' or 'duty'."""
    policy: str
    ordinal: int
    """1-based position among the policy's rules of this kind (stable order), for labels of blank rules."""
    actions: tuple[ActionRef, ...] = ()
    targets: tuple[EntityRef, ...] = ()
    assignees: tuple[EntityRef, ...] = ()
    assigners: tuple[EntityRef, ...] = ()
    constraints: tuple[ConstraintNode, ...] = ()
    duties: tuple[Rule, ...] = ()
    """Duties of a permission, remedies of a prohibition, consequences of a duty."""
    functions: tuple[tuple[str, str], ...] = ()
    """(function property, party) pairs besides assignee/assigner, e.g. (odrl:attributedParty, agent:x)."""

    @property
    def label(self) -> str:
        if not self.id.startswith("_:"):
            return compact(self.id)
        return f"{compact(self.policy)} {self.kind} #{self.ordinal}"

    @property
    def explicit_targets(self) -> bool:
        """True when the rule names its targets (otherwise it governs whatever points to its policy)."""
        return bool(self.targets)


@dataclass(frozen=True)
class Policy:
    iri: str
    types: tuple[str, ...] = ()
    conflict: str | None = None
    inherit_from: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = ()
    title: str | None = None

    @property
    def type_iri(self) -> str:
        """The most specific ODRL policy class (odrl:Set, odrl:Offer, odrl:Agreement...)."""
        for t in self.types:
            if t.startswith(ODRL) and t != ODRL + "Policy":
                return t
        return self.types[0] if self.types else ODRL + "Policy"


@dataclass(frozen=True)
class Request:
    """Who wants to do what with which asset, and the context the constraints are checked against.

    Values are full IRIs (see inputs.py for CURIE expansion). `at=None` means "now" and is
    resolved once per engine call, so every rule of one decision sees the same instant.
    `extra` carries further left operands (IRI -> values) for profiles beyond ODRL core, and
    `duty_states` what is known about duties ('fulfilled', 'violated', 'unknown'), keyed by duty IRI.
    """

    party: str
    action: str = ODRL + "use"
    target: str | None = None
    purpose: tuple[str, ...] = ()
    at: datetime | None = None
    spatial: tuple[str, ...] = ()
    recipient: tuple[str, ...] = ()
    industry: tuple[str, ...] = ()
    count: int | None = None
    elapsed: str | None = None
    extra: tuple[tuple[str, tuple[Term, ...]], ...] = ()
    duty_states: tuple[tuple[str, str], ...] = field(default=())

    def with_target(self, target: str | None) -> Request:
        return replace(self, target=target)

    def context_key(self) -> Request:
        """The request without its target: what a target-independent rule outcome depends on."""
        return replace(self, target=None)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"party": self.party, "action": self.action, "target": self.target}
        if self.purpose:
            out["purpose"] = list(self.purpose)
        if self.at is not None:
            out["at"] = self.at.isoformat()
        for name in ("spatial", "recipient", "industry"):
            values = getattr(self, name)
            if values:
                out[name] = list(values)
        if self.count is not None:
            out["count"] = self.count
        if self.elapsed is not None:
            out["elapsedTime"] = self.elapsed
        if self.extra:
            out["context"] = {k: [v.value if isinstance(v, Lit) else v for v in vs] for k, vs in self.extra}
        if self.duty_states:
            out["duty_states"] = dict(self.duty_states)
        return out
