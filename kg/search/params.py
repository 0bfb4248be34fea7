"""Reading search parameters as people type them (HTTP query strings and CLI options alike)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from ..errors import BadInput
from .extract import parse_date
from .facets import facet_name
from .geo import BBox, parse_bbox, parse_near


def parse_filters(items: Iterable[str]) -> dict[str, list[str]]:
    """['sector=mobility', 'country=DNK,SWE'] -> {'sector': ['mobility'], 'country': ['DNK', 'SWE']}."""
    out: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            name, sep, value = item.partition(":")
        if not sep or not value.strip():
            raise BadInput(f"filter {item!r}: write facet=value, e.g. sector=mobility")
        try:
            canonical = facet_name(name)
        except KeyError:
            raise BadInput(f"filter {item!r}: unknown facet {name!r}") from None
        out.setdefault(canonical, []).extend(v.strip() for v in _split_values(value) if v.strip())
    return out


def _split_values(value: str) -> list[str]:
    # IRIs may contain commas only in rare cases; split on commas that are not inside an IRI path.
    if "://" in value:
        return [value]
    return value.split(",")


def parse_facets(items: Iterable[str]) -> list[str]:
    out = []
    for item in items:
        for name in item.split(","):
            if not name.strip():
                continue
            try:
                out.append(facet_name(name))
            except KeyError:
                raise BadInput(f"unknown facet {name!r}") from None
    return out


def parse_when(text: str, *, end: bool = False, what: str = "date") -> datetime:
    value = parse_date(text, end=end)
    if value is None:
        raise BadInput(f"{what}: {text!r} is not a date (use YYYY, YYYY-MM-DD or an ISO date-time)")
    return value


def parse_period(text: str) -> tuple[datetime | None, datetime | None]:
    """'2020-01-01/2021-12-31', '2020/', '/2021' (ISO 8601 interval with open ends) or a year '2022'."""
    if "/" not in text:
        return parse_when(text, what="period"), parse_when(text, end=True, what="period")
    start, _, end = text.partition("/")
    return (parse_when(start, what="period") if start.strip() else None,
            parse_when(end, end=True, what="period") if end.strip() else None)


def read_bbox(text: str | None) -> BBox | None:
    if not text:
        return None
    try:
        return parse_bbox(text)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def read_near(text: str | None) -> tuple[float, float, float] | None:
    if not text:
        return None
    try:
        return parse_near(text)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def now() -> datetime:
    return datetime.now(UTC)
