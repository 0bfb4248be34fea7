"""Evaluating the common constraints inside pyoxigraph, so that only violations reach Python.

On an on-disk pyoxigraph store, turning a stored term into a Python object costs ~3 µs (a RocksDB
string lookup), while scanning encoded rows inside the SPARQL engine costs ~0.3 µs and hash
anti-joins (MINUS) need no per-row lookups. Catalogue shapes are dominated by sh:nodeKind,
sh:class, sh:minCount and sh:maxCount on simple predicates (≈90% of DCAT-AP's constraints), and
for those the violating rows can be selected in SPARQL:

* nodeKind: ``?s p ?o FILTER(!isIRI(?o))``, a plain scan;
* class: ``?s p ?o MINUS { ?o rdf:type ?t VALUES ?t {closure} }``, a hash anti-join;
* maxCount: ``GROUP BY ?s HAVING (COUNT(?o) > n)``;
* minCount: ``<focus pattern> MINUS { ?f p ?o }``, which needs the focus set as a SPARQL
  pattern (class, subjectsOf and IRI node targets);
* "is text": sh:datatype xsd:string or rdf:langString, alone or as the alternatives of an sh:or,
  directly or through sh:node (DCAT-AP profiles put this on every title and description, whose
  values are all distinct): ``FILTER(!isLiteral(?o) || !(datatype(?o) IN (...)))``, a plain scan.
  These datatypes have no ill-formed lexical forms, and Oxigraph's canonicalisation never turns
  a string into a non-string or back, so the filter answers the same on stored data as on the
  loaded file.

Rows come back for every subject of the predicate and are filtered by focus set in Python (joins
with the focus pattern would probe the index per row, which is what we are avoiding). Shapes with
any other constraint, small focus sets and incremental runs go through the evaluator instead, so
each check still has a single definition of its semantics; the tests compare both routes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import pyoxigraph as ox

from .constraints import (
    ClassC,
    Constraint,
    Context,
    DatatypeC,
    MaxCountC,
    MinCountC,
    NodeC,
    NodeKindC,
    OrC,
    ValueConstraint,
)
from .data import DataAccess
from .shapes import Shape, Targets
from .sparql import sparql_term
from .terms import OxTerm
from .valuemap import RawResult
from .vocab import OX_RDF_TYPE

PUSHABLE = (NodeKindC, ClassC, MinCountC, MaxCountC)
# Below this many focus nodes (and values), per-node lookups beat scanning a whole predicate.
MIN_FOCUS = 200
MAX_LOOKUP_VALUES = 2000
# Up to this many distinct values, value checks run in Python on the distinct values.
MAX_DISTINCT = 2000
# ... and up to this many for constraints SPARQL cannot express (datatype, sh:node...), which
# would otherwise need every (subject, value) row decoded.
MAX_DISTINCT_VALUES = 20_000

_NOT_LITERAL = frozenset({ox.NamedNode, ox.BlankNode})
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_TEXT_DATATYPES = frozenset({_XSD_STRING, _RDF_LANG_STRING})


def text_datatypes(c: Constraint) -> frozenset[str] | None:
    """The datatypes a value must have for ``c`` to hold, when ``c`` means only "a literal with
    one of these string datatypes" (see the module doc); None for any other constraint."""
    if isinstance(c, DatatypeC):
        return frozenset({c.datatype}) if c.datatype in _TEXT_DATATYPES else None
    if isinstance(c, NodeC):
        return _shape_text_datatypes(c.shape)
    if isinstance(c, OrC):
        out: set[str] = set()
        for alternative in c.shapes:
            allowed = _shape_text_datatypes(alternative)
            if allowed is None:
                return None
            out |= allowed
        return frozenset(out)
    return None


def _shape_text_datatypes(shape: Shape) -> frozenset[str] | None:
    # A deactivated shape conforms whatever the value; a path makes it a check on other nodes.
    if shape.deactivated or shape.path is not None or len(shape.constraints) != 1:
        return None
    return text_datatypes(shape.constraints[0])
_KIND_TEST = {ox.NamedNode: "isIRI(?o)", ox.BlankNode: "isBlank(?o)", ox.Literal: "isLiteral(?o)"}


class LazyFocus(AbstractSet[OxTerm]):
    """A focus set computed on first use; its size comes from a COUNT query until then.

    The count must equal the size of the computed set (the engine compares sizes to tell a
    focus set from a superset), so it is only used for patterns that bind exactly the focus
    nodes (pushdown.focus_pattern of class and subjects-of targets).
    """

    __slots__ = ("_compute", "_count", "_nodes", "_size")

    def __init__(self, compute: Callable[[], set[OxTerm]], count: Callable[[], int]) -> None:
        self._compute = compute
        self._count = count
        self._nodes: set[OxTerm] | None = None
        self._size: int | None = None

    def nodes(self) -> set[OxTerm]:
        if self._nodes is None:
            self._nodes = self._compute()
        return self._nodes

    def __contains__(self, x: object) -> bool:
        return x in self.nodes()

    def __iter__(self) -> Iterator[OxTerm]:
        return iter(self.nodes())

    def __len__(self) -> int:
        if self._nodes is not None:
            return len(self._nodes)
        if self._size is None:
            self._size = self._count()
        return self._size

    @classmethod
    def _from_iterable(cls, it: Iterable[OxTerm]) -> set[OxTerm]:  # type: ignore[override]
        return set(it)


def members(focus: AbstractSet[OxTerm]) -> AbstractSet[OxTerm]:
    """The plain set behind a focus set, for membership tests in hot loops."""
    return focus.nodes() if isinstance(focus, LazyFocus) else focus


@dataclass
class Task:
    shape: Shape
    focus: AbstractSet[OxTerm]
    pattern: str | None  # SPARQL pattern binding ?f to exactly ``focus``


def focus_pattern(data: DataAccess, targets: Targets) -> str | None:
    """A SPARQL group binding ?f to a shape's focus nodes, when targets allow one."""
    if targets.sparql or targets.objects_of:
        return None
    parts: list[str] = []
    classes: dict[OxTerm, None] = {}
    for c in targets.classes:
        classes.update(dict.fromkeys(data.subclass_closure(c)))
    named = [c for c in classes if isinstance(c, ox.NamedNode)]
    if len(named) != len(classes):
        return None  # a blank-node class cannot be written in a query
    if named:
        parts.append(f"{{ ?f <{OX_RDF_TYPE.value}> ?t_ VALUES ?t_ {{ {' '.join(_iri(c) for c in named)} }} }}")
    for p in targets.subjects_of:
        parts.append(f"{{ ?f <{p.value}> ?x_ }}")
    if targets.nodes:
        if not all(isinstance(n, ox.NamedNode) for n in targets.nodes):
            return None
        parts.append(f"{{ VALUES ?f {{ {' '.join(_iri(n) for n in targets.nodes)} }} }}")
    if not parts:
        return None
    return " UNION ".join(parts)


def count_pattern(data: DataAccess, pattern: str) -> int:
    """How many distinct focus nodes a focus pattern binds (counted on encoded terms, nothing decoded)."""
    res = data.select(f"SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE {{ {pattern} }}")
    return int(next(iter(res))[0].value)


def pushable(task: Task, data: DataAccess, predicate: ox.NamedNode) -> bool:
    """Whether violation-only queries can answer every constraint of ``task`` (see the module doc).

    Besides nodeKind/class/min/maxCount, any value constraint (datatype, sh:node, sh:in...)
    qualifies when the predicate has few distinct values whose literals the restore hook leaves
    alone (dct:issued with 3,000 dates over 10^5 datasets): it is decided once per distinct value.
    """
    needs_pattern = False
    for c in task.shape.constraints:
        if isinstance(c, PUSHABLE) and not (isinstance(c, ClassC) and not _class_pushable(data, c.cls)):
            needs_pattern = needs_pattern or (isinstance(c, MinCountC) and c.n > 0)
        elif text_datatypes(c) is not None:
            continue
        elif isinstance(c, ValueConstraint):
            if not _distinct_usable(data, predicate):
                return False
        else:
            return False
    if needs_pattern and task.pattern is None:
        return False
    if len(task.focus) >= MIN_FOCUS:
        return True
    # Few focus nodes can still have many values (one catalogue, 10^5 dcat:dataset links).
    return _value_count(data, predicate, task.focus) > MAX_LOOKUP_VALUES


def _distinct_usable(data: DataAccess, predicate: ox.NamedNode) -> bool:
    """Value constraints can be decided on the predicate's distinct stored values."""
    if data.restore is not None and (data.restore_predicates is None or predicate.value in data.restore_predicates):
        return False  # values would have to be restored per (subject, value) first
    return distinct_objects(data, predicate, MAX_DISTINCT_VALUES) is not None


def distinct_objects(data: DataAccess, predicate: ox.NamedNode, limit: int = MAX_DISTINCT) -> set[OxTerm] | None:
    """The distinct objects of ``predicate`` if there are at most ``limit`` (cached per validation)."""
    small = data.cache.get(("distinct", predicate.value, MAX_DISTINCT), False)
    if small is False:
        small = data.cache[("distinct", predicate.value, MAX_DISTINCT)] = \
            _Queries(data, predicate).distinct_objects(MAX_DISTINCT)
    if small is not None or limit <= MAX_DISTINCT:
        return small  # type: ignore[return-value]
    key = ("distinct", predicate.value, limit)
    if key not in data.cache:
        data.cache[key] = _Queries(data, predicate).distinct_objects(limit)
    return data.cache[key]  # type: ignore[return-value]


def _class_pushable(data: DataAccess, cls: OxTerm) -> bool:
    """SPARQL can express the type lookup: IRI classes, no background in the default graph."""
    if any(isinstance(g, ox.DefaultGraph) for g in data.type_graphs if g not in data.graphs):
        return False
    return all(isinstance(c, ox.NamedNode) for c in data.subclass_closure(cls))


def _value_count(data: DataAccess, predicate: ox.NamedNode, focus: Collection[OxTerm]) -> int:
    if not all(isinstance(f, ox.NamedNode) for f in focus):
        return 0
    values = " ".join(_iri(f) for f in focus)
    res = data.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?s {{ {values} }} ?s <{predicate.value}> ?o }}")
    return next((int(sol[0].value) for sol in res), 0)


def run(ctx: Context, predicate: ox.NamedNode, tasks: list[Task]) -> list[RawResult]:
    """Results of ``tasks`` (all on ``predicate``, all pushable), from violation-only queries."""
    data = ctx.data
    q = _Queries(data, predicate)
    out: list[RawResult] = []
    value_checks: dict[tuple[str, object], list[tuple[Task, Constraint]]] = {}
    max_checks: list[tuple[Task, MaxCountC]] = []
    min_checks: dict[int, list[tuple[Task, MinCountC]]] = {}
    for t in tasks:
        if t.shape.deactivated:
            continue
        for c in t.shape.constraints:
            if isinstance(c, NodeKindC):
                value_checks.setdefault(("kind", c.allowed), []).append((t, c))
            elif isinstance(c, ClassC) and _class_pushable(data, c.cls):
                value_checks.setdefault(("class", c.cls), []).append((t, c))
            elif (allowed := text_datatypes(c)) is not None:
                value_checks.setdefault(("text", allowed), []).append((t, c))
            elif isinstance(c, ValueConstraint):
                value_checks.setdefault(("value", c), []).append((t, c))
            elif isinstance(c, MaxCountC):
                max_checks.append((t, c))
            elif isinstance(c, MinCountC) and c.n > 0:
                assert t.pattern is not None
                min_checks.setdefault(c.n, []).append((t, c))
    used = q.used()
    if used and value_checks:
        out.extend(_value_checks(ctx, q, predicate, value_checks))
    if used and max_checks and not (min(c.n for _, c in max_checks) >= 1 and q.one_value_each()):
        bound = min(c.n for _, c in max_checks)
        for s, n in q.counts_above(bound):
            for t, c in max_checks:
                if n > c.n and s in members(t.focus):
                    out.append(RawResult(s, None, t.shape, c))
    for n, users in min_checks.items():
        # One anti-join per predicate: the union of the tasks' focus patterns on the left, and
        # each violator is then attributed to the tasks whose focus set contains it.
        patterns = list(dict.fromkeys(t.pattern for t, _ in users if t.pattern is not None))
        pattern = patterns[0] if len(patterns) == 1 else " UNION ".join(f"{{ {p} }}" for p in patterns)
        for f in q.too_few(pattern, n, used=used):
            for t, c in users:
                if f in members(t.focus):
                    out.append(RawResult(f, None, t.shape, c))
    return out


def _value_checks(
    ctx: Context,
    q: _Queries,
    predicate: ox.NamedNode,
    checks: dict[tuple[str, object], list[tuple[Task, Constraint]]],
) -> list[RawResult]:
    """Value checks: on the distinct values in Python when they are few (vocabulary terms: 5 file
    types used 10^5 times), else nodeKind and class as SPARQL filters over all rows."""
    data = ctx.data
    out: list[RawResult] = []
    generic = any(kind == "value" for kind, _ in checks)
    distinct = distinct_objects(data, predicate, MAX_DISTINCT_VALUES if generic else MAX_DISTINCT)
    if distinct is not None:
        bad_by_check: dict[tuple[str, object], set[OxTerm]] = {}
        for key in checks:
            kind, arg = key
            if kind == "kind":
                bad = {o for o in distinct if type(o) not in arg}  # type: ignore[operator]
            elif kind == "text":
                bad = {o for o in distinct if not (isinstance(o, ox.Literal) and o.datatype.value in arg)}  # type: ignore[operator]
            elif kind == "class":
                bad = data.non_instances(distinct, arg)  # type: ignore[arg-type]
            else:
                bad = arg.failing(ctx, distinct)  # type: ignore[attr-defined]
            if bad:
                bad_by_check[key] = bad
        if not bad_by_check:
            return out
        rows = q.rows_with_objects(set().union(*bad_by_check.values()))
        for key, bad in bad_by_check.items():
            out.extend(_fan_out(data, predicate, [(s, o) for s, o in rows if o in bad], checks[key]))
        return out
    assert all(kind != "value" for kind, _ in checks), "value constraints need few distinct values"
    # Class checks first: their violating rows include every literal value, so a
    # BlankNodeOrIRI check (whose only violators are literals) can reuse them instead of
    # scanning the predicate again with isIRI(), which costs a string lookup per row.
    class_rows: list[tuple[OxTerm, OxTerm]] | None = None
    for (kind, arg), users in checks.items():
        if kind == "class":
            rows = q.rows(f"MINUS {{ {_type_pattern(data, arg)} }}", named=True)  # type: ignore[arg-type]
            class_rows = rows if class_rows is None else class_rows
            out.extend(_fan_out(data, predicate, rows, users))
    for (kind, arg), users in checks.items():
        if kind != "kind":
            continue
        if class_rows is not None and arg == _NOT_LITERAL:
            rows = [(s, o) for s, o in class_rows if isinstance(o, ox.Literal)]
        else:
            tests = " || ".join(_KIND_TEST[k] for k in arg)  # type: ignore[attr-defined]
            rows = q.rows(f"FILTER(!({tests}))")
        out.extend(_fan_out(data, predicate, rows, users))
    for (kind, arg), users in checks.items():
        if kind == "text":
            allowed = ", ".join(f"<{dt}>" for dt in sorted(arg))  # type: ignore[call-overload]
            rows = q.rows(f"FILTER(!isLiteral(?o) || !(datatype(?o) IN ({allowed})))")
            out.extend(_fan_out(data, predicate, rows, users))
    return out


def _fan_out(
    data: DataAccess,
    predicate: ox.NamedNode,
    rows: list[tuple[OxTerm, OxTerm]],
    users: list[tuple[Task, Constraint]],
) -> list[RawResult]:
    if not rows:
        return []
    if data.restore is not None:
        lits = [(s, o) for s, o in rows if isinstance(o, ox.Literal)]
        if lits:
            rows = [(s, o) for s, o in rows if not isinstance(o, ox.Literal)] + data.restore(predicate, lits)
    out: list[RawResult] = []
    append = out.append
    new = tuple.__new__  # RawResult(...) goes through a Python-level __new__: 10^5-10^6 rows here
    for focus, shape, c in [(members(t.focus), t.shape, c) for t, c in users]:
        for s, o in rows:
            if s in focus:
                append(new(RawResult, (s, o, shape, c, None, None, None, ())))
    return out


def _iri(t: OxTerm) -> str:
    return f"<{t.value}>"


def _type_pattern(data: DataAccess, cls: OxTerm) -> str:
    closure = [c for c in data.subclass_closure(cls) if isinstance(c, ox.NamedNode)]
    if not closure:
        return "FILTER(false)"
    values = f"VALUES ?t_ {{ {' '.join(_iri(c) for c in closure)} }}"
    rdf_type = f"<{OX_RDF_TYPE.value}>"
    extra = [g for g in data.type_graphs if g not in data.graphs]
    if not extra:
        return f"?o {rdf_type} ?t_ {values}"
    return f"{{ GRAPH ?tg_ {{ ?o {rdf_type} ?t_ }} }} UNION {{ ?o {rdf_type} ?t_ }} {values}"


class _Queries:
    def __init__(self, data: DataAccess, predicate: ox.NamedNode) -> None:
        self.data = data
        self.p = f"<{predicate.value}>"
        self.distinct = "DISTINCT " if len(data.graphs) > 1 else ""

    def _query(self, text: str, *, named: bool = False) -> ox.QuerySolutions:
        d = self.data
        kw: dict[str, object] = {"default_graph": d.graphs}
        if named:
            kw["named_graphs"] = [g for g in d.type_graphs if not isinstance(g, ox.DefaultGraph)]
        return d.store.query(text, **kw)  # type: ignore[arg-type]

    def used(self) -> bool:
        return bool(self._query(f"ASK {{ ?s {self.p} ?o }}"))

    def distinct_objects(self, limit: int) -> set[OxTerm] | None:
        res = self._query(f"SELECT DISTINCT ?o WHERE {{ ?s {self.p} ?o }} LIMIT {limit + 1}")
        out = {sol[0] for sol in res}
        return out if len(out) <= limit else None

    def rows_with_objects(self, objects: set[OxTerm]) -> list[tuple[OxTerm, OxTerm]]:
        """(subject, object) rows for the given objects.

        Each object is bound together with its position in a small integer (``?k``): integers
        are inlined in Oxigraph's encoding, so a row costs one string lookup (the subject)
        instead of two.
        """
        rows: list[tuple[OxTerm, OxTerm]] = []
        constants = [(o, t) for o in objects if (t := sparql_term(o)) is not None]
        if constants:
            values = " ".join(f"({text} {i})" for i, (_, text) in enumerate(constants))
            res = self._query(f"SELECT {self.distinct}?s ?k WHERE {{ VALUES (?o ?k) {{ {values} }} ?s {self.p} ?o }}")
            rows.extend([(sol[0], constants[int(sol[1].value)][0]) for sol in res])
        if any(isinstance(o, ox.BlankNode) for o in objects):
            rows.extend(r for r in self.rows("FILTER(isBlank(?o))") if r[1] in objects)
        return rows

    def rows(self, condition: str, *, named: bool = False) -> list[tuple[OxTerm, OxTerm]]:
        res = self._query(f"SELECT {self.distinct}?s ?o WHERE {{ ?s {self.p} ?o {condition} }}", named=named)
        return [(sol[0], sol[1]) for sol in res]

    def one_value_each(self) -> bool:
        """No subject has two values (rows = distinct subjects): then no sh:maxCount >= 1 is exceeded.

        Counting runs on encoded terms, about twice as fast as the GROUP BY that finds violators.
        """
        if self.distinct:
            return False  # the same triple in two graphs would count twice
        res = self._query(f"SELECT (COUNT(*) AS ?n) (COUNT(DISTINCT ?s) AS ?d) WHERE {{ ?s {self.p} ?o }}")
        sol = next(iter(res))
        return sol[0].value == sol[1].value

    def counts_above(self, bound: int) -> list[tuple[OxTerm, int]]:
        count = f"COUNT({self.distinct}?o)"
        res = self._query(
            f"SELECT ?s ({count} AS ?n) WHERE {{ ?s {self.p} ?o }} GROUP BY ?s HAVING ({count} > {bound})"
        )
        return [(sol[0], int(sol[1].value)) for sol in res]

    def too_few(self, pattern: str, n: int, *, used: bool = True) -> list[OxTerm]:
        if not used:
            res = self._query(f"SELECT DISTINCT ?f WHERE {{ {pattern} }}")
            return [sol[0] for sol in res]
        if n == 1:
            minus = f"?f {self.p} ?o"
        else:
            minus = f"SELECT ?f WHERE {{ ?f {self.p} ?o }} GROUP BY ?f HAVING (COUNT(DISTINCT ?o) >= {n})"
            minus = f"{{ {minus} }}"
        res = self._query(f"SELECT DISTINCT ?f WHERE {{ {{ {pattern} }} MINUS {{ {minus} }} }}")
        return [sol[0] for sol in res]


__all__ = ["Task", "focus_pattern", "pushable", "run"]
