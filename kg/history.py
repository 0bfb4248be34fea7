"""Rolling a source back to its previous version (kept by every replace, update or re-harvest)."""

from __future__ import annotations

from typing import Any

from . import registry as reg
from .errors import BadInput
from .registry import SourceInfo


def rollback(store: Any, name: str) -> SourceInfo:
    """Make the previous version current again, in one transaction; the undone version is kept too."""
    with store.write_lock:
        info = store.require(name)
        if not info.history:
            raise BadInput(f"source {name!r} has no previous version to roll back to")
        previous, *older = info.history
        rolled = SourceInfo(name=info.name, graph_iri=info.graph_iri, current=previous, system=info.system,
                            history=[info.current, *older])
        store.ox.update(reg.commit_update(rolled, rolled.history))
        store.reload_registry()
        store.notify(name)
        return store.require(name)
