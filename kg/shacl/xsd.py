"""XSD lexical spaces and value ordering, as sh:datatype and the range constraints need them.

SHACL says a literal matches sh:datatype only if it is not ill-typed, and orders values with
SPARQL's ``<``. pyoxigraph gives us lexical forms only, so both are implemented here on strings:
regular expressions for lexical spaces (XSD 1.1 Part 2) plus range and calendar checks, and a
comparison that follows the XPath/SPARQL operator mapping (numeric promotion, timezone-aware
date/time order where an order is determinate, codepoint order for strings).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from .vocab import XSD_NS, XSD_STRING

_TZ = r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_YEAR = r"-?(?:[1-9][0-9]{3,}|0[0-9]{3})"
_TIME = r"(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]+)?|24:00:00(?:\.0+)?)"
_DUR_T = r"T(?:[0-9]+H(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?|[0-9]+M(?:[0-9]+(?:\.[0-9]+)?S)?|[0-9]+(?:\.[0-9]+)?S)"
_DUR_YMD = r"(?:[0-9]+Y(?:[0-9]+M)?(?:[0-9]+D)?|[0-9]+M(?:[0-9]+D)?|[0-9]+D)"

_RE = {
    "decimal": r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)",
    "integer": r"[+-]?[0-9]+",
    "float": r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]?INF|NaN",
    "boolean": r"true|false|1|0",
    "dateTime": rf"({_YEAR})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T{_TIME}{_TZ}",
    "dateTimeStamp": rf"({_YEAR})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T{_TIME}"
    r"(?:Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))",
    "date": rf"({_YEAR})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]){_TZ}",
    "time": rf"{_TIME}{_TZ}",
    "gYear": rf"{_YEAR}{_TZ}",
    "gYearMonth": rf"{_YEAR}-(?:0[1-9]|1[0-2]){_TZ}",
    "gMonth": rf"--(?:0[1-9]|1[0-2]){_TZ}",
    "gDay": rf"---(?:0[1-9]|[12][0-9]|3[01]){_TZ}",
    "gMonthDay": rf"--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]){_TZ}",
    "duration": rf"-?P(?:{_DUR_YMD}(?:{_DUR_T})?|{_DUR_T})",
    "dayTimeDuration": rf"-?P(?:[0-9]+D(?:{_DUR_T})?|{_DUR_T})",
    "yearMonthDuration": r"-?P(?:[0-9]+Y(?:[0-9]+M)?|[0-9]+M)",
    "hexBinary": r"(?:[0-9a-fA-F]{2})*",
    "base64Binary": r"(?:(?:[A-Za-z0-9+/] ?){4})*(?:(?:[A-Za-z0-9+/] ?){3}[A-Za-z0-9+/]"
    r"|(?:[A-Za-z0-9+/] ?){2}[AEIMQUYcgkosw048] ?=|[A-Za-z0-9+/] ?[AQgw] ?= ?=)?",
    "language": r"[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*",
    "NCName": r"[^\W\d.\-:][\w.\-]*",
    "Name": r"[^\W\d.\-][\w.\-:]*",
    "NMTOKEN": r"[\w.\-:]+",
}
_COMPILED = {k: re.compile(v) for k, v in _RE.items()}

_INT_RANGES: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-128, 127),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 255),
}


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if _leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _calendar(name: str) -> Callable[[str], bool]:
    rx = _COMPILED[name]

    def check(lex: str) -> bool:
        m = rx.fullmatch(lex)
        if m is None:
            return False
        year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return day <= _days_in_month(year, month)

    return check


def _month_day(lex: str) -> bool:
    m = _COMPILED["gMonthDay"].fullmatch(lex)
    return m is not None and int(m.group(2)) <= _days_in_month(2000, int(m.group(1)))


def _integer(name: str) -> Callable[[str], bool]:
    lo, hi = _INT_RANGES[name]
    rx = _COMPILED["integer"]

    def check(lex: str) -> bool:
        if rx.fullmatch(lex) is None:
            return False
        if lo is None and hi is None:
            return True
        v = int(lex)
        return (lo is None or v >= lo) and (hi is None or v <= hi)

    return check


def _regex(name: str) -> Callable[[str], bool]:
    rx = _COMPILED[name]
    return lambda lex: rx.fullmatch(lex) is not None


def _normalized(lex: str) -> bool:
    return not any(c in lex for c in "\r\n\t")


def _token(lex: str) -> bool:
    return _normalized(lex) and lex == lex.strip(" ") and "  " not in lex


_CHECKERS: dict[str, Callable[[str], bool]] = {
    XSD_NS + "decimal": _regex("decimal"),
    XSD_NS + "float": _regex("float"),
    XSD_NS + "double": _regex("float"),
    XSD_NS + "boolean": _regex("boolean"),
    XSD_NS + "dateTime": _calendar("dateTime"),
    XSD_NS + "dateTimeStamp": _calendar("dateTimeStamp"),
    XSD_NS + "date": _calendar("date"),
    XSD_NS + "time": _regex("time"),
    XSD_NS + "gYear": _regex("gYear"),
    XSD_NS + "gYearMonth": _regex("gYearMonth"),
    XSD_NS + "gMonth": _regex("gMonth"),
    XSD_NS + "gDay": _regex("gDay"),
    XSD_NS + "gMonthDay": _month_day,
    XSD_NS + "duration": _regex("duration"),
    XSD_NS + "dayTimeDuration": _regex("dayTimeDuration"),
    XSD_NS + "yearMonthDuration": _regex("yearMonthDuration"),
    XSD_NS + "hexBinary": _regex("hexBinary"),
    XSD_NS + "base64Binary": _regex("base64Binary"),
    XSD_NS + "language": _regex("language"),
    XSD_NS + "NCName": _regex("NCName"),
    XSD_NS + "Name": _regex("Name"),
    XSD_NS + "NMTOKEN": _regex("NMTOKEN"),
    XSD_NS + "normalizedString": _normalized,
    XSD_NS + "token": _token,
}
_CHECKERS.update({XSD_NS + n: _integer(n) for n in _INT_RANGES})


def is_well_formed(lexical: str, datatype: str) -> bool:
    """Whether ``lexical`` is in the lexical space of ``datatype`` (unknown datatypes: yes)."""
    check = _CHECKERS.get(datatype)
    return True if check is None else check(lexical)


def has_checker(datatype: str) -> bool:
    return datatype in _CHECKERS


# --------------------------------------------------------------------------------------------
# Ordering (sh:minInclusive & co, sh:lessThan & co)
# --------------------------------------------------------------------------------------------

_NUMERIC = {XSD_NS + n for n in _INT_RANGES} | {XSD_NS + "decimal", XSD_NS + "float", XSD_NS + "double"}
_DT_RX = re.compile(
    r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\.[0-9]+)?)(Z|[+-][0-9]{2}:[0-9]{2})?"
)
_DATE_RX = re.compile(r"(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?")
_TIME_RX = re.compile(r"([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\.[0-9]+)?)(Z|[+-][0-9]{2}:[0-9]{2})?")
_FOURTEEN_HOURS = Decimal(14 * 3600)


def _days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _tz_seconds(tz: str | None) -> int | None:
    if tz is None:
        return None
    if tz == "Z":
        return 0
    sign = -1 if tz[0] == "-" else 1
    return sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)


def _instant(y: int, mo: int, d: int, h: int, mi: int, s: Decimal, tz: str | None) -> tuple[Decimal, bool]:
    secs = Decimal(_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60) + s
    off = _tz_seconds(tz)
    if off is not None:
        secs -= off
    return secs, off is not None


SortKey = tuple[str, object]


def sort_key(lexical: str, datatype: str, language: str | None) -> SortKey | None:
    """The comparable value of a literal with its comparison family, or None if not orderable.

    Families never compare with each other (SPARQL raises a type error), which SHACL turns into a
    validation result.
    """
    if language:
        return None
    if datatype == XSD_STRING:
        return ("string", lexical)
    if not is_well_formed(lexical, datatype):
        return None
    try:
        if datatype in _NUMERIC:
            if datatype.endswith(("float", "double")):
                v = float(lexical.replace("INF", "inf"))
                return None if math.isnan(v) else ("numeric", v)
            return ("numeric", Decimal(lexical))
        if datatype == XSD_NS + "boolean":
            return ("boolean", lexical in ("true", "1"))
        if datatype in (XSD_NS + "dateTime", XSD_NS + "dateTimeStamp"):
            m = _DT_RX.fullmatch(lexical)
            if m is None:
                return None
            y, mo, d, h, mi = (int(m.group(i)) for i in range(1, 6))
            return ("dateTime", _instant(y, mo, d, h, mi, Decimal(m.group(6)), m.group(7)))
        if datatype == XSD_NS + "date":
            m = _DATE_RX.fullmatch(lexical)
            if m is None:
                return None
            return ("date", _instant(int(m.group(1)), int(m.group(2)), int(m.group(3)), 0, 0, Decimal(0), m.group(4)))
        if datatype == XSD_NS + "time":
            m = _TIME_RX.fullmatch(lexical)
            if m is None:
                return None
            return ("time", _instant(1972, 12, 31, int(m.group(1)), int(m.group(2)), Decimal(m.group(3)), m.group(4)))
    except (InvalidOperation, ValueError):
        return None
    return None


def compare(a: SortKey | None, b: SortKey | None) -> int | None:
    """-1/0/1, or None when the two values have no determinate order."""
    if a is None or b is None or a[0] != b[0]:
        return None
    va, vb = a[1], b[1]
    if a[0] in ("dateTime", "date", "time"):
        (sa, tza), (sb, tzb) = va, vb  # type: ignore[misc]
        if tza == tzb:
            return (sa > sb) - (sa < sb)
        # One side has no timezone: XSD says it may lie anywhere within ±14h.
        if tza:
            lo, hi = sb - _FOURTEEN_HOURS, sb + _FOURTEEN_HOURS
            if sa < lo:
                return -1
            if sa > hi:
                return 1
            return None
        lo, hi = sa - _FOURTEEN_HOURS, sa + _FOURTEEN_HOURS
        if hi < sb:
            return -1
        if lo > sb:
            return 1
        return None
    try:
        return (va > vb) - (va < vb)  # type: ignore[operator]
    except TypeError:
        return None
