"""Literal fidelity: what a curator loads is what they get back.

Oxigraph canonicalises typed literals when it stores them ("012"^^xsd:nonNegativeInteger
becomes "12"^^xsd:integer, "1"^^xsd:boolean becomes "true") and lowercases language tags.
SPARQL semantics need the canonical values (numeric filters, sums, date comparisons), but
export, the Graph Store Protocol, query bindings and validation of stored data need the
originals. So Agora stores both: the physical source graph holds the canonical triple, and a
companion *fidelity graph* holds, for the same subject and predicate, the original literal
encoded with an opaque datatype (`urn:agora:dt:<datatype>` or `urn:agora:lang:<tag>`) that
Oxigraph keeps byte for byte. Reads substitute the originals back. Only literals that change
get a record, so a clean catalog costs nothing extra.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pyoxigraph as ox

from .namespaces import OPAQUE_DT_PREFIX, OPAQUE_LANG_PREFIX, XSD

_XSD_VALUE_TYPES = [
    "boolean", "float", "double", "decimal", "integer", "nonPositiveInteger", "negativeInteger", "long",
    "int", "short", "byte", "nonNegativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
    "unsignedByte", "positiveInteger", "dateTime", "dateTimeStamp", "time", "date", "gYearMonth", "gYear",
    "gMonthDay", "gDay", "gMonth", "duration", "yearMonthDuration", "dayTimeDuration",
]
VALUE_TYPES = frozenset(XSD + t for t in _XSD_VALUE_TYPES)
"""Datatypes whose literals Oxigraph parses into values, and may therefore rewrite."""


@dataclass(frozen=True, slots=True)
class CasedLangLiteral:
    """A language-tagged literal whose tag has upper-case letters (pyoxigraph lowercases tags)."""

    value: str
    language: str

    def n3(self) -> str:
        return ox.Literal(self.value).__str__() + "@" + self.language


Original = ox.Literal | CasedLangLiteral


_INTEGER_TYPES = frozenset(XSD + t for t in (
    "integer", "nonPositiveInteger", "negativeInteger", "long", "int", "short", "byte", "nonNegativeInteger",
    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte", "positiveInteger"))
_XSD_INTEGER = ox.NamedNode(XSD + "integer")
_XSD_BOOLEAN = XSD + "boolean"
_INT_RE = re.compile(r"[+-]?[0-9]{1,18}")
_UNCHANGED = {
    XSD + "date": re.compile(r"[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])(Z)?"),
    XSD + "dateTime": re.compile(r"[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])"
                                 r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]*[1-9])?(Z)?"),
    XSD + "decimal": re.compile(r"0|-?(0\.[0-9]*[1-9]|[1-9][0-9]*(\.[0-9]*[1-9])?)"),
    XSD + "gYear": re.compile(r"[1-9][0-9]{3}"),
}


Oracle = Callable[[list[ox.Literal]], list[ox.Literal]]
"""Stores literals somewhere and says what came back, in order."""


def oxigraph_stored_forms(literals: list[ox.Literal]) -> list[ox.Literal]:
    """What Oxigraph keeps for each literal: asked of an in-memory Oxigraph store (no re-implementation)."""
    probe = ox.Store()
    p = ox.NamedNode("urn:agora:probe:p")
    probe.extend(ox.Quad(ox.NamedNode(f"urn:agora:probe:{i}"), p, lit) for i, lit in enumerate(literals))
    out: list[ox.Literal | None] = [None] * len(literals)
    for q in probe:
        out[int(q.subject.value.rsplit(":", 1)[1])] = q.object  # type: ignore[assignment]
    return out  # type: ignore[return-value]


class Canonicaliser:
    """Tells what a store will keep for a literal, by asking it (its `oracle`), and remembers.

    For Oxigraph (the default oracle) the common cases are predicted without asking (integers,
    booleans, plain dates), because a catalog has hundreds of thousands of byte sizes and dates.
    A remote store brings its own oracle (a round trip through a scratch graph, see
    backends/remote.py) and nothing is predicted: stores differ. One canonicaliser may be shared
    by threads (a remote store keeps one for its lifetime), hence the lock.
    """

    def __init__(self, oracle: Oracle | None = None) -> None:
        self._oracle = oracle or oxigraph_stored_forms
        self._predicts = oracle is None
        self._cache: dict[tuple[str, str], ox.Literal] = {}
        self._lock = threading.Lock()

    def predict(self, literal: ox.Literal) -> ox.Literal | None:
        """The stored form when it is certain without asking the store, else None."""
        return self.predict_for_oxigraph(literal) if self._predicts else None

    @staticmethod
    def predict_for_oxigraph(literal: ox.Literal) -> ox.Literal | None:
        """What Oxigraph stores, when it is certain without asking it, else None."""
        dt = literal.datatype.value
        lex = literal.value
        if dt in _INTEGER_TYPES:
            if _INT_RE.fullmatch(lex):
                value = int(lex)
                if dt == XSD + "integer" and str(value) == lex:
                    return literal
                if dt in (XSD + "integer", XSD + "long", XSD + "nonNegativeInteger", XSD + "int") and (
                        dt != XSD + "nonNegativeInteger" or value >= 0) and (
                        dt != XSD + "int" or -2**31 <= value < 2**31):
                    return ox.Literal(str(value), datatype=_XSD_INTEGER)
            return None
        if dt == _XSD_BOOLEAN:
            return {"true": literal, "false": literal}.get(lex)
        pattern = _UNCHANGED.get(dt)
        if pattern is not None and pattern.fullmatch(lex):
            return literal
        return None

    def stored_form(self, literal: ox.Literal) -> ox.Literal:
        return self.stored_forms([literal])[0]

    def stored_forms(self, literals: list[ox.Literal]) -> list[ox.Literal]:
        """Stored forms for many literals, asking the oracle once for all the unpredictable ones."""
        out: list[ox.Literal | None] = []
        ask: dict[tuple[str, str], ox.Literal] = {}
        with self._lock:
            for lit in literals:
                if lit.datatype.value not in VALUE_TYPES:
                    out.append(lit)
                    continue
                hit = self.predict(lit) or self._cache.get((lit.value, lit.datatype.value))
                out.append(hit)
                if hit is None:
                    ask[(lit.value, lit.datatype.value)] = lit
            if ask:
                keys = list(ask)
                for key, stored in zip(keys, self._oracle([ask[k] for k in keys]), strict=True):
                    self._cache[key] = stored
                out = [o if o is not None else self._cache[(lit.value, lit.datatype.value)]
                       for o, lit in zip(out, literals, strict=True)]
                if len(self._cache) > 500_000:
                    self._cache = {k: self._cache[k] for k in keys}
        return out  # type: ignore[return-value]


def canonicaliser_for(store: object) -> Canonicaliser:
    """The canonicaliser of a backend: a remote store provides its own (backends/remote.py), an
    Oxigraph store (or anything else) gets Oxigraph's."""
    make = getattr(store, "canonicaliser", None)
    return make() if make is not None else Canonicaliser()


def encode(original: Original) -> ox.Literal:
    """The opaque literal that keeps `original` verbatim inside Oxigraph."""
    if isinstance(original, CasedLangLiteral):
        return ox.Literal(original.value, datatype=ox.NamedNode(OPAQUE_LANG_PREFIX + original.language))
    if original.language:
        return ox.Literal(original.value, datatype=ox.NamedNode(OPAQUE_LANG_PREFIX + original.language))
    return ox.Literal(original.value, datatype=ox.NamedNode(OPAQUE_DT_PREFIX + original.datatype.value))


def decode(opaque: ox.Literal) -> Original:
    dt = opaque.datatype.value
    if dt.startswith(OPAQUE_LANG_PREFIX):
        lang = dt[len(OPAQUE_LANG_PREFIX):]
        if lang != lang.lower():
            return CasedLangLiteral(opaque.value, lang)
        return ox.Literal(opaque.value, language=lang)
    return ox.Literal(opaque.value, datatype=ox.NamedNode(dt[len(OPAQUE_DT_PREFIX):]))


def stored_key(original: Original, canon: Canonicaliser) -> ox.Literal:
    """What Oxigraph holds for `original` (the key to find its record again)."""
    if isinstance(original, CasedLangLiteral):
        return ox.Literal(original.value, language=original.language.lower())
    return canon.stored_form(original)


@dataclass
class FidelityRecorder:
    """Collects the records of one load while its triples stream past, in one pass.

    When a subject and predicate carry several literals that collapse to the same stored value
    (say "012"^^xsd:nonNegativeInteger and "12"^^xsd:integer), all of them are recorded, so
    restoring gives back every original and not just one.
    """

    canon: Canonicaliser = field(default_factory=Canonicaliser)
    records: dict[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.Literal], list[Original]] = field(
        default_factory=lambda: defaultdict(list))
    _seen_canonical: set[int] = field(default_factory=set)
    _pending: list[tuple[object, ox.NamedNode, ox.Literal]] = field(default_factory=list)

    def observe(self, s: ox.NamedNode | ox.BlankNode, p: ox.NamedNode, o: ox.Literal,
                original: Original | None = None) -> None:
        """Look at one literal triple; `original` is given when the parser already lost information."""
        if original is not None:
            self.records[(s, p, stored_key(original, self.canon))].append(original)
            return
        if o.datatype.value not in VALUE_TYPES:
            return
        stored = self.canon.predict(o)
        if stored is None:
            self._pending.append((s, p, o))
            if len(self._pending) >= 20_000:
                self._resolve()
        else:
            self._classify(s, p, o, stored)

    def _classify(self, s: object, p: ox.NamedNode, o: ox.Literal, stored: ox.Literal) -> None:
        if stored == o:
            self._seen_canonical.add(hash((s, p, o)))
        else:
            self.records[(s, p, stored)].append(o)  # type: ignore[index]

    def _resolve(self) -> None:
        pending, self._pending = self._pending, []
        for (s, p, o), stored in zip(pending, self.canon.stored_forms([o for _s, _p, o in pending]), strict=True):
            self._classify(s, p, o, stored)

    def absorb(self, other: FidelityRecorder) -> None:
        """Take over what `other` observed (a load that recorded on the side before committing to a path)."""
        other._resolve()
        for key, originals in other.records.items():
            self.records[key].extend(originals)
        self._seen_canonical |= other._seen_canonical

    def quads(self, fidelity_graph: ox.NamedNode) -> Iterator[ox.Quad]:
        self._resolve()
        for (s, p, stored), originals in self.records.items():
            group = list(dict.fromkeys(originals))
            if hash((s, p, stored)) in self._seen_canonical:
                group.append(stored)
            for original in group:
                yield ox.Quad(s, p, encode(original), fidelity_graph)

    def __len__(self) -> int:
        self._resolve()
        return len(self.records)


class Restorer:
    """Maps stored (canonical) literals back to what was loaded, for one or more fidelity graphs."""

    def __init__(self, store: ox.Store, fidelity_graphs: Iterable[ox.NamedNode]) -> None:
        self._canon = canonicaliser_for(store)
        self._map: dict[tuple[object, str], dict[ox.Literal, list[Original]]] = {}
        for g in fidelity_graphs:
            for q in store.quads_for_pattern(None, None, None, g):
                original = decode(q.object)
                key = stored_key(original, self._canon)
                self._map.setdefault((q.subject, q.predicate.value), {}).setdefault(key, []).append(original)

    @classmethod
    def combine(cls, parts: list[Restorer]) -> Restorer:
        """One restorer over several (their records are shared, never modified)."""
        nonempty = [p for p in parts if p._map]
        if len(parts) == 1 or len(nonempty) == 1:
            return nonempty[0] if nonempty else parts[0]
        out = cls.__new__(cls)
        out._canon = nonempty[0]._canon if nonempty else Canonicaliser()
        out._map = {}
        merged: set[tuple[object, str]] = set()
        for part in nonempty:
            for key, by_value in part._map.items():
                mine = out._map.get(key)
                if mine is None:
                    out._map[key] = by_value
                    continue
                if key not in merged:  # copy before the first change: the parts' dicts are shared
                    mine = out._map[key] = {k: list(v) for k, v in mine.items()}
                    merged.add(key)
                for stored, originals in by_value.items():
                    mine.setdefault(stored, []).extend(originals)
        return out

    def __bool__(self) -> bool:
        return bool(self._map)

    def restore(self, s: object, p: ox.NamedNode, o: object) -> list[object]:
        """The original objects for a stored triple (just `o` when nothing was rewritten)."""
        if not self._map or not isinstance(o, ox.Literal):
            return [o]
        by_value = self._map.get((s, p.value))
        if by_value is None:
            return [o]
        return list(by_value.get(o, [o]))

    def restore_pairs(self, p: ox.NamedNode, pairs: list[tuple[object, object]]) -> list[tuple[object, object]]:
        """The hook the SHACL engine calls for values fetched along a predicate."""
        if not self._map:
            return pairs
        out: list[tuple[object, object]] = []
        for focus, value in pairs:
            for original in self.restore(focus, p, value):
                if isinstance(original, CasedLangLiteral):  # SHACL compares tags case-insensitively
                    original = ox.Literal(original.value, language=original.language)
                out.append((focus, original))
        return out

    def triples(self, triples: Iterable[ox.Triple | ox.Quad]) -> Iterator[tuple[object, object, object]]:
        for t in triples:
            for o in self.restore(t.subject, t.predicate, t.object):
                yield t.subject, t.predicate, o
