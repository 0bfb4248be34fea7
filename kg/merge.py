"""Adding triples to a source (Graph Store POST): a new version = the current one + the new triples."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from .loader import _stream, begin_draft, finish_drafts
from .rdfio import RDFInput
from .registry import SourceInfo


def merge_into(store: Any, name: str, graph_iri: str, docs: list[RDFInput], *, user: str,
               validate: bool) -> SourceInfo:
    with store.write_lock:
        draft = begin_draft(store, name, replace=True, graph_iri=graph_iri)
        try:
            if draft.existing is not None:
                for src, dst in ((draft.existing.physical, draft.physical), (draft.existing.fidelity, draft.fidelity)):
                    store.ox.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, dst)
                                         for q in store.ox.quads_for_pattern(None, None, None, src))
            store.ox.bulk_extend(_stream(docs, draft.physical, draft.recorder, None))
        except BaseException:
            store.drop_version_graphs(name, draft.number)
            raise
        (info,) = finish_drafts(store, [draft], validate=validate, profile=None, user=user,
                                origin="Graph Store POST", checksum="")
        return info
