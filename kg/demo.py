"""The demo catalog: a realistic smart-community data space, loaded source by source."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .loader import load_files
from .resources import demo_dir

# City catalogs first (each carries its own publishers), then what refers across them.
ORDER = ["copenhagen", "malmo", "amsterdam", "florence", "antwerp", "policies", "stakeholders", "usecases"]


def demo_files() -> list[Any]:
    files = sorted(demo_dir().glob("*.ttl"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.name))
    return files


def load_demo(store: Any, *, say: Callable[[str], None] = print, validate: bool = True) -> int:
    """Load every demo file as its own source; returns the number of triples loaded."""
    total = 0
    for path in demo_files():
        result = load_files(store, [path], name=path.stem, replace=store.get(path.stem) is not None,
                            validate=validate, user="agora-demo")
        total += result.triples
        say(f"demo: loaded {path.name} as source {path.stem!r} ({result.triples} triples, "
            f"{result.source.current.validation})")
    return total
