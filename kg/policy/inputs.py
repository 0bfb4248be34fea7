"""Turning what a person typed (CLI flags, query parameters) into a Request, or a BadInput saying why not.

The CLI and the HTTP API accept the same forms, so they share this: full IRIs, `<iri>`, CURIEs
with Agora's prefixes (odrl:use, purpose:urban-planning, dpv:ScientificResearch), bare action
names (`use`) and bare purpose names (`urban-planning`); dates as `2026-06-01` or full
xsd:dateTime; further left operands as `odrl:deliveryChannel=<iri>`. Parties and targets must
be known to the store: a typo must not quietly become "NotApplicable".
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ..errors import BadInput
from .knowledge import Knowledge
from .model import Lit, Request, Term
from .terms import ACTION_NAMESPACE, DISPLAY_PREFIXES, PURPOSE_NAMESPACE, expand
from .values import XSD, parse_datetime, parse_day, parse_duration


def _many(values: str | Iterable[str] | None) -> list[str]:
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def parse_at(value: str | datetime | None) -> datetime | None:
    """A point in time from `2026-06-01` (midday UTC, so a whole-day deadline compares as that day) or a dateTime."""
    if value is None or isinstance(value, datetime):
        return value
    text = value.strip()
    if not text:
        return None
    if len(text) == 10:
        day = parse_day(text)
        if day is not None:
            return day.start.replace(hour=12)
    parsed = parse_datetime(text)
    if parsed is None:
        raise BadInput(f"--at {value!r}: use a date (2026-06-01) or a date and time (2026-06-01T09:30:00Z)")
    return parsed


def parse_context(items: Iterable[str] | dict[str, str | list[str]] | None) -> tuple[tuple[str, tuple[Term, ...]], ...]:
    """Further left operands as `odrl:deliveryChannel=<iri>` (IRIs, CURIEs) or `odrl:percentage=20` (literals)."""
    if not items:
        return ()
    pairs: list[tuple[str, str]] = []
    if isinstance(items, dict):
        for key, values in items.items():
            pairs += [(key, v) for v in ([values] if isinstance(values, str) else values)]
    else:
        for item in items:
            if "=" not in item:
                raise BadInput(f"context {item!r}: use LEFT_OPERAND=VALUE, e.g. odrl:deliveryChannel=<iri>")
            key, value = item.split("=", 1)
            pairs.append((key, value))
    out: dict[str, list[Term]] = {}
    for key, value in pairs:
        left = expand(key, default_namespace=ACTION_NAMESPACE, what="left operand")
        out.setdefault(left, []).append(_context_value(value.strip()))
    return tuple((k, tuple(v)) for k, v in sorted(out.items()))


def _context_value(text: str) -> Term:
    if text.startswith("<") or "://" in text or text.startswith("urn:"):
        return expand(text, what="context value")
    if ":" in text and text.split(":", 1)[0] in DISPLAY_PREFIXES:
        return expand(text, what="context value")
    if parse_duration(text) is not None:
        return Lit(text, XSD + "duration")
    if len(text) == 10 and parse_day(text) is not None:
        return Lit(text, XSD + "date")
    if parse_datetime(text) is not None and "T" in text:
        return Lit(text, XSD + "dateTime")
    try:
        float(text)
        return Lit(text, XSD + "decimal")
    except ValueError:
        return Lit(text, XSD + "string")


def build_request(*, party: str, action: str = "odrl:use", target: str | None = None,
                  purpose: str | Iterable[str] | None = None, at: str | datetime | None = None,
                  spatial: str | Iterable[str] | None = None, recipient: str | Iterable[str] | None = None,
                  industry: str | Iterable[str] | None = None, count: int | str | None = None,
                  elapsed: str | None = None, context: Iterable[str] | dict[str, str | list[str]] | None = None,
                  knowledge: Knowledge | None = None) -> Request:
    """A Request from user input; with `knowledge`, unknown parties and targets are rejected (BadInput)."""
    if not party or not party.strip():
        raise BadInput("name the requesting party (--party)")
    party_iri = expand(party, what="party")
    target_iri = expand(target, what="target") if target else None
    if knowledge is not None:
        if not knowledge.known(party_iri):
            raise BadInput(f"unknown party {party!r}: nothing in the store describes <{party_iri}>")
        if target_iri is not None and not knowledge.known(target_iri):
            raise BadInput(f"unknown target {target!r}: nothing in the store describes <{target_iri}>")
    count_value: int | None = None
    if count not in (None, ""):
        try:
            count_value = int(count)  # type: ignore[arg-type]
        except ValueError as exc:
            raise BadInput(f"count {count!r} is not a whole number") from exc
    if elapsed and parse_duration(elapsed) is None:
        raise BadInput(f"elapsed time {elapsed!r} is not an xsd:duration (e.g. P30D, PT2H)")
    return Request(
        party=party_iri,
        action=expand(action or "odrl:use", default_namespace=ACTION_NAMESPACE, what="action"),
        target=target_iri,
        purpose=tuple(expand(p, default_namespace=PURPOSE_NAMESPACE, what="purpose") for p in _many(purpose)),
        at=parse_at(at),
        spatial=tuple(expand(s, what="spatial") for s in _many(spatial)),
        recipient=tuple(expand(r, what="recipient") for r in _many(recipient)),
        industry=tuple(expand(i, what="industry") for i in _many(industry)),
        count=count_value,
        elapsed=elapsed or None,
        extra=parse_context(context),
    )
