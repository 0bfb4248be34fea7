"""Focus nodes of a shape: its target declarations, evaluated against the data graphs.

With ``restrict`` (incremental re-validation) targets are tested node by node with index
lookups instead of being enumerated, so re-validating a few nodes never scans a class.
"""

from __future__ import annotations

from collections.abc import Collection

import pyoxigraph as ox

from .constraints import Context
from .shapes import Targets
from .terms import OxTerm

_Subject = (ox.NamedNode, ox.BlankNode)


def focus_nodes(ctx: Context, targets: Targets, restrict: Collection[OxTerm] | None = None) -> set[OxTerm]:
    data = ctx.data
    if restrict is None:
        out: set[OxTerm] = set(targets.nodes)
        for c in targets.classes:
            out |= data.data_instances(c)
        for p in targets.subjects_of:
            out |= data.predicate_subjects(p)
        for p in targets.objects_of:
            out |= data.predicate_objects(p)
        for st in targets.sparql:
            out |= st.focus_nodes(ctx)
        return out
    wanted = set(restrict)
    out = wanted.intersection(targets.nodes)
    closures = [data.subclass_closure(c) for c in targets.classes]
    for n in wanted - out:
        if closures and isinstance(n, _Subject):
            types = data.types(n, data_only=True)
            if any(not cl.isdisjoint(types) for cl in closures):
                out.add(n)
                continue
        if isinstance(n, _Subject) and any(data.has_edge(n, p, None) for p in targets.subjects_of):
            out.add(n)
            continue
        if any(data.has_edge(None, p, n) for p in targets.objects_of):
            out.add(n)
    for st in targets.sparql:
        out |= wanted & st.focus_nodes(ctx)
    return out
