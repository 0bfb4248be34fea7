"""Where a constraint's left operand gets its value: the request, the party or asset described, or a default.

A constraint `purpose isA purpose:public-interest` is about the use being requested; the same
shape inside a party collection's refinement (`agora:hasRole isA role:public-authority`) is
about a candidate member. `Subject` says which of the two is being described, and `resolve`
returns the values together with where they came from, because an explanation that says
"spatial = place:antwerp (assumed: the party's city)" is honest where a bare value would not be.

Defaults, documented because they are Agora's choices rather than ODRL's:
- dateTime: the request's time, or the time of evaluation;
- spatial: where the use happens; if the request does not say, the party's city (agora:city);
- recipient: the party itself, when the request names no other recipient;
- anything else that the request does not give is unknown, and a constraint on it is
  undetermined (it holds for neither a permission nor a prohibition; the explanation says so).
Attributes of a party or an asset come from the store, which is taken as complete about them:
a party with no recorded role is not a public authority (closed world), while a request that
does not state its purpose has an unknown purpose (open world).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .knowledge import Knowledge
from .model import Lit, Request, Term
from .terms import AGORA_CITY, COUNT, DATETIME, ELAPSED_TIME, INDUSTRY, PURPOSE_OP, RECIPIENT, SPATIAL
from .values import IRI, Value, parse_duration, to_value

USE_OPERANDS = (PURPOSE_OP, DATETIME, SPATIAL, RECIPIENT, INDUSTRY, COUNT, ELAPSED_TIME)
"""Left operands that describe the requested use (as opposed to attributes of a party or an asset)."""


@dataclass(frozen=True)
class Subject:
    """What a constraint talks about: the requested use, or one party/asset (in a collection refinement)."""

    kind: str
    """'use', 'party' or 'asset'."""
    iri: str | None = None


USE = Subject("use")


@dataclass(frozen=True)
class Operand:
    values: tuple[Value, ...]
    shown: tuple[str, ...]
    origin: str
    """'request', 'evaluation time', 'assumed: ...', 'store' or 'unknown'."""


UNKNOWN = Operand((), (), "unknown")


def _from_terms(terms: tuple[Term, ...], origin: str) -> Operand:
    return Operand(tuple(to_value(t) for t in terms), tuple(str(t) if isinstance(t, Lit) else t for t in terms),
                   origin) if terms else UNKNOWN


def resolve(left: str, subject: Subject, request: Request, now: datetime, knowledge: Knowledge) -> Operand:
    """The value(s) of left operand `left` for `subject` under `request`."""
    if subject.kind != "use" and subject.iri is not None and left not in (DATETIME, COUNT, ELAPSED_TIME):
        values = knowledge.values(subject.iri, left)
        return _from_terms(values, "store") if values else Operand((), (), "store")
    extra = dict(request.extra)
    if left in extra:
        return _from_terms(extra[left], "request")
    if left == DATETIME:
        when = request.at or now
        return Operand((when,), (when.isoformat().replace("+00:00", "Z"),),
                       "request" if request.at else "evaluation time")
    if left == PURPOSE_OP:
        return _from_terms(request.purpose, "request")
    if left == SPATIAL:
        if request.spatial:
            return _from_terms(request.spatial, "request")
        cities = tuple(c for c in knowledge.values(request.party, AGORA_CITY) if isinstance(c, str))
        return _from_terms(cities, "assumed: the party's city (agora:city)") if cities else UNKNOWN
    if left == RECIPIENT:
        if request.recipient:
            return _from_terms(request.recipient, "request")
        return Operand((IRI(request.party),), (request.party,), "assumed: the party itself")
    if left == INDUSTRY:
        return _from_terms(request.industry, "request")
    if left == COUNT:
        if request.count is None:
            return UNKNOWN
        from decimal import Decimal

        return Operand((Decimal(request.count),), (str(request.count),), "request")
    if left == ELAPSED_TIME:
        duration = parse_duration(request.elapsed) if request.elapsed else None
        return Operand((duration,), (request.elapsed or "",), "request") if duration else UNKNOWN
    return UNKNOWN
