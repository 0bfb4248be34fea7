"""The twelve ODRL 2.2 operators, in three-valued logic (True, False, None = undetermined).

A left operand can have several values (a request may declare two purposes; a party has several
roles). How they combine depends on what they describe:
- values of the requested use (purpose, spatial, recipient, industry...) must all satisfy a
  permission's constraint, while one is enough to trigger a prohibition: declaring
  {research, marketing} does not unlock a research-only permission, and it does trigger a
  no-marketing prohibition;
- attributes of a party or asset (roles, types, country) are existential for the positive
  operators and universal for neq/isNoneOf: a party with roles {public-authority, data-user}
  "isA public-authority" and is "isNoneOf company".
isAllOf and hasPart compare the value sets as wholes.

Hierarchies come from the store (knowledge.py): isA follows broader concepts, classes, roles;
isPartOf/hasPart follow containment. The set operators isAnyOf/isAllOf/isNoneOf count a narrower
concept as its broader one (urban-planning is "any of (public-interest, research)"), which is what
a catalog of purposes needs. For odrl:spatial, eq means "in that area": a use in Antwerp is `eq`
country:BEL, since ODRL says the right operand names the area the action is exercised in.
"""

from __future__ import annotations

from collections.abc import Callable

from .knowledge import Knowledge
from .model import Term
from .operands import Operand
from .terms import SPATIAL, odrl
from .values import IRI, Value, compare, to_value

EQ, NEQ, LT, LTEQ, GT, GTEQ = (odrl(o) for o in ("eq", "neq", "lt", "lteq", "gt", "gteq"))
IS_A, IS_PART_OF, HAS_PART = odrl("isA"), odrl("isPartOf"), odrl("hasPart")
IS_ANY_OF, IS_ALL_OF, IS_NONE_OF = odrl("isAnyOf"), odrl("isAllOf"), odrl("isNoneOf")
NEGATIVE = frozenset({NEQ, IS_NONE_OF})
_ORDER: dict[str, Callable[[int], bool]] = {
    LT: lambda c: c < 0, LTEQ: lambda c: c <= 0, GT: lambda c: c > 0, GTEQ: lambda c: c >= 0}

Truth = bool | None


def all3(values: list[Truth]) -> Truth:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def any3(values: list[Truth]) -> Truth:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


class Operators:
    """Evaluates `left op right` with the store's hierarchies at hand."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.k = knowledge

    # -- element relations ---------------------------------------------------------------------
    def same(self, a: Value, b: Value) -> Truth:
        c = compare(a, b)
        if c is not None:
            return c == 0
        if isinstance(a, IRI) and isinstance(b, IRI):
            return b in self.k.ancestors(a, "same")
        return False if isinstance(a, str) and isinstance(b, str) else None

    def is_a(self, a: Value, b: Value) -> Truth:
        if isinstance(a, IRI) and isinstance(b, IRI):
            return a == b or b in self.k.ancestors(a, "isA")
        return self.same(a, b)

    def part_of(self, a: Value, b: Value) -> Truth:
        if isinstance(a, IRI) and isinstance(b, IRI):
            return a == b or b in self.k.ancestors(a, "partOf")
        return self.same(a, b)

    def member(self, a: Value, b: Value) -> Truth:
        return any3([self.same(a, b), self.is_a(a, b)])

    # -- one left value against the right operand(s) ---------------------------------------------
    def atomic(self, op: str, left_operand: str, value: Value, right: list[Value]) -> Truth:
        if op == EQ:
            rel = self.part_of if left_operand == SPATIAL else self.same
            return any3([rel(value, r) for r in right])
        if op == NEQ:
            return all3([_not(self.atomic(EQ, left_operand, value, [r])) for r in right])
        if op in _ORDER:
            results: list[Truth] = []
            for r in right:
                c = compare(value, r)
                results.append(None if c is None else _ORDER[op](c))
            return all3(results)
        if op == IS_A:
            return any3([self.is_a(value, r) for r in right])
        if op == IS_PART_OF:
            return any3([self.part_of(value, r) for r in right])
        if op == IS_ANY_OF:
            return any3([self.member(value, r) for r in right])
        if op == IS_NONE_OF:
            return all3([_not(self.member(value, r)) for r in right])
        return None

    def evaluate(self, op: str, left_operand: str, left: Operand, right_terms: tuple[Term, ...], *,
                 describes_use: bool, prohibition: bool) -> Truth:
        """The constraint's truth for these left values; None when a value is missing or incomparable."""
        if not left.values or not right_terms:
            return None
        right = [to_value(t) for t in right_terms]
        if op == IS_ALL_OF:
            return all3([any3([self.member(v, r) for v in left.values]) for r in right])
        if op == HAS_PART:
            return all3([any3([self.part_of(r, v) for v in left.values]) for r in right])
        if op not in _ORDER and op not in (EQ, NEQ, IS_A, IS_PART_OF, IS_ANY_OF, IS_NONE_OF):
            return None
        per_value = [self.atomic(op, left_operand, v, right) for v in left.values]
        if describes_use:
            return any3(per_value) if prohibition else all3(per_value)
        return all3(per_value) if op in NEGATIVE else any3(per_value)


def _not(v: Truth) -> Truth:
    return None if v is None else not v
