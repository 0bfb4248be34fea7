"""Comparable Python values for the literals constraints compare: numbers, dates, times, durations.

ODRL compares a request's value with a constraint's right operand; both may be written with
different datatypes (a dateTime request against an xsd:date deadline, P1M against P30D), so
values are normalised here once, and `compare` says less/equal/greater or "incomparable".
An xsd:date is a whole day: 2027-12-31T15:00Z is "equal" to 2027-12-31, so `lteq 2027-12-31`
still holds on the last day. Durations mixing months with days are compared on an average
month (365.2425 / 12 days), which the ODRL vocabulary leaves open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from .model import Lit, Term

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = frozenset(XSD + t for t in (
    "integer", "decimal", "double", "float", "int", "long", "short", "byte", "nonNegativeInteger",
    "positiveInteger", "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong", "unsignedShort",
    "unsignedByte"))
DATETIME_TYPES = frozenset({XSD + "dateTime", XSD + "dateTimeStamp"})
DURATION_TYPES = frozenset({XSD + "duration", XSD + "dayTimeDuration", XSD + "yearMonthDuration"})
_DURATION = re.compile(r"^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
_MONTH_SECONDS = Decimal("365.2425") * 86400 / 12


@dataclass(frozen=True)
class Duration:
    months: int
    seconds: Decimal
    lexical: str

    def total_seconds(self) -> Decimal:
        return self.months * _MONTH_SECONDS + self.seconds


@dataclass(frozen=True)
class Day:
    """An xsd:date: the interval [start, start + 1 day)."""

    start: datetime

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=1)


class IRI(str):
    """An IRI value (as opposed to a plain string literal), so hierarchy operators know what to look up."""

    __slots__ = ()


Value = Decimal | datetime | Day | Duration | str


def parse_duration(text: str) -> Duration | None:
    m = _DURATION.match(text.strip())
    if not m or text.strip() in ("P", "-P") or text.strip().endswith("T"):
        return None
    sign = -1 if m.group(1) else 1
    years, months, weeks, days, hours, minutes = (int(g) if g else 0 for g in m.groups()[1:7])
    secs = Decimal(m.group(8)) if m.group(8) else Decimal(0)
    total_months = sign * (years * 12 + months)
    total_seconds = sign * (((weeks * 7 + days) * 24 + hours) * 3600 + minutes * 60 + secs)
    return Duration(total_months, Decimal(total_seconds), text.strip())


def parse_datetime(text: str) -> datetime | None:
    """An aware datetime (UTC when no zone is given), or None."""
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_day(text: str) -> Day | None:
    raw = text.strip()
    if raw.endswith("Z"):
        raw = raw[:-1]
    try:
        d = date.fromisoformat(raw[:10])
    except ValueError:
        return None
    return Day(datetime(d.year, d.month, d.day, tzinfo=UTC))


def to_value(term: Term) -> Value:
    """The comparable value of a term: literals by datatype, IRIs and untyped strings as text."""
    if not isinstance(term, Lit):
        return IRI(term)
    dt = term.datatype
    if dt in NUMERIC:
        try:
            return Decimal(term.value.strip())
        except InvalidOperation:
            return term.value
    if dt in DATETIME_TYPES:
        return parse_datetime(term.value) or term.value
    if dt == XSD + "date":
        return parse_day(term.value) or term.value
    if dt in DURATION_TYPES:
        return parse_duration(term.value) or term.value
    return term.value


def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


def compare(a: Value, b: Value) -> int | None:
    """-1, 0 or 1 when `a` is less than, equal to or greater than `b`; None when they do not compare."""
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return _cmp(a, b)
    if isinstance(a, Duration) and isinstance(b, Duration):
        if a.months == 0 and b.months == 0:
            return _cmp(a.seconds, b.seconds)
        if a.seconds == 0 and b.seconds == 0:
            return _cmp(a.months, b.months)
        return _cmp(a.total_seconds(), b.total_seconds())
    if isinstance(a, datetime) and isinstance(b, datetime):
        return _cmp(a, b)
    if isinstance(a, Day) and isinstance(b, Day):
        return _cmp(a.start, b.start)
    if isinstance(a, datetime) and isinstance(b, Day):
        return -1 if a < b.start else (1 if a >= b.end else 0)
    if isinstance(a, Day) and isinstance(b, datetime):
        inverse = compare(b, a)
        return None if inverse is None else -inverse
    if isinstance(a, str) and isinstance(b, str):
        return 0 if a == b else None
    return None


def show_value(value: Value) -> str:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, Day):
        return value.start.date().isoformat()
    if isinstance(value, Duration):
        return value.lexical
    return str(value)
