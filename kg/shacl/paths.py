"""SHACL property paths: parsing, SPARQL rendering and batched evaluation.

Paths are evaluated for a whole set of focus nodes at once, one step at a time, so a sequence
path over 100k datasets costs a few predicate scans rather than 100k SPARQL queries. Inverse
paths are pushed down to predicates when parsing, so evaluation only knows forward and backward
predicate steps plus the combinators.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection as RdfList
from rdflib.term import Node

from .data import DataAccess, Groups
from .terms import OxTerm
from .vocab import RDF_NS, SH


class ShapesGraphError(ValueError):
    """The shapes graph is not well-formed SHACL (a malformed path, list or parameter)."""


@dataclass(frozen=True)
class Path:
    def sparql(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Pred(Path):
    iri: str

    def sparql(self) -> str:
        return f"<{self.iri}>"


@dataclass(frozen=True)
class Inv(Path):
    iri: str

    def sparql(self) -> str:
        return f"^<{self.iri}>"


@dataclass(frozen=True)
class Seq(Path):
    parts: tuple[Path, ...]

    def sparql(self) -> str:
        return "(" + "/".join(p.sparql() for p in self.parts) + ")"


@dataclass(frozen=True)
class Alt(Path):
    parts: tuple[Path, ...]

    def sparql(self) -> str:
        return "(" + "|".join(p.sparql() for p in self.parts) + ")"


@dataclass(frozen=True)
class Repeat(Path):
    """zeroOrMore (``*``), oneOrMore (``+``) or zeroOrOne (``?``)."""

    path: Path
    mod: str

    def sparql(self) -> str:
        return f"({self.path.sparql()}){self.mod}"


_RDF_FIRST = URIRef(RDF_NS + "first")
_MODS = {SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}


def parse_path(g: Graph, node: Node, _depth: int = 0) -> Path:
    if _depth > 64:
        raise ShapesGraphError("path nesting too deep (cyclic path?)")
    if isinstance(node, URIRef):
        return Pred(str(node))
    if not isinstance(node, BNode):
        raise ShapesGraphError(f"a SHACL path must be an IRI or a blank node, not {node!r}")
    if (node, _RDF_FIRST, None) in g:
        items = list(RdfList(g, node))
        if len(items) < 2:
            raise ShapesGraphError("a sequence path needs at least two members")
        return Seq(tuple(parse_path(g, i, _depth + 1) for i in items))
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        items = list(RdfList(g, alt))
        if len(items) < 2:
            raise ShapesGraphError("an alternative path needs at least two members")
        return Alt(tuple(parse_path(g, i, _depth + 1) for i in items))
    inv = g.value(node, SH.inversePath)
    if inv is not None:
        return invert(parse_path(g, inv, _depth + 1))
    for pred, mod in _MODS.items():
        inner = g.value(node, pred)
        if inner is not None:
            return Repeat(parse_path(g, inner, _depth + 1), mod)
    raise ShapesGraphError(f"blank node {node} is not a SHACL path")


def invert(p: Path) -> Path:
    if isinstance(p, Pred):
        return Inv(p.iri)
    if isinstance(p, Inv):
        return Pred(p.iri)
    if isinstance(p, Seq):
        return Seq(tuple(invert(x) for x in reversed(p.parts)))
    if isinstance(p, Alt):
        return Alt(tuple(invert(x) for x in p.parts))
    if isinstance(p, Repeat):
        return Repeat(invert(p.path), p.mod)
    raise TypeError(p)  # pragma: no cover


def step_key(p: Path) -> tuple[str, bool] | None:
    """(predicate, forward?) for single-step paths, which the engine batches by predicate."""
    if isinstance(p, Pred):
        return (p.iri, True)
    if isinstance(p, Inv):
        return (p.iri, False)
    return None


def evaluate(data: DataAccess, path: Path, nodes: Collection[OxTerm]) -> Groups:
    """Value nodes of ``path`` for every node in ``nodes`` (nodes without values are absent)."""
    if not nodes:
        return {}
    if isinstance(path, Pred):
        return data.objects(ox.NamedNode(path.iri), nodes)
    if isinstance(path, Inv):
        return data.subjects(ox.NamedNode(path.iri), nodes)
    if isinstance(path, Seq):
        current: dict[OxTerm, list[OxTerm]] = {n: [n] for n in nodes}
        for part in path.parts:
            frontier = {v for vals in current.values() for v in vals}
            step = evaluate(data, part, frontier)
            nxt: dict[OxTerm, list[OxTerm]] = {}
            for n, vals in current.items():
                out: dict[OxTerm, None] = {}
                for v in vals:
                    for w in step.get(v, ()):
                        out[w] = None
                if out:
                    nxt[n] = list(out)
            current = nxt
            if not current:
                break
        return current
    if isinstance(path, Alt):
        merged: dict[OxTerm, dict[OxTerm, None]] = {}
        for part in path.parts:
            for n, vals in evaluate(data, part, nodes).items():
                merged.setdefault(n, {}).update(dict.fromkeys(vals))
        return {n: list(v) for n, v in merged.items()}
    if isinstance(path, Repeat):
        return _repeat(data, path, nodes)
    raise TypeError(path)  # pragma: no cover


def _repeat(data: DataAccess, path: Repeat, nodes: Collection[OxTerm]) -> Groups:
    if path.mod == "?":
        one = evaluate(data, path.path, nodes)
        return {n: list(dict.fromkeys([n, *one.get(n, ())])) for n in nodes}
    # Closure: expand all frontiers together so each step is one batched lookup.
    succ: dict[OxTerm, list[OxTerm]] = {}
    frontier = set(nodes)
    while frontier:
        step = evaluate(data, path.path, frontier)
        for n in frontier:
            succ[n] = step.get(n, [])
        frontier = {v for vals in step.values() for v in vals if v not in succ}
    out: Groups = {}
    for n in nodes:
        seen: dict[OxTerm, None] = {n: None} if path.mod == "*" else {}
        todo = list(succ.get(n, ()))
        while todo:
            v = todo.pop()
            if v in seen:
                continue
            seen[v] = None
            todo.extend(succ.get(v, ()))
        if seen:
            out[n] = list(seen)
    return out
