"""Where the Turtle files that ship with Agora live, in a checkout and in an installed wheel."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[1]


def _dir(name: str) -> Path:
    candidate = _REPO_ROOT / name
    if candidate.is_dir():
        return candidate
    return Path(str(importlib.resources.files(f"agora.{name}")))


def ontology_dir() -> Path:
    return _dir("ontology")


def shapes_dir() -> Path:
    return _dir("shapes")


def demo_dir() -> Path:
    return _dir("data")


def ontology_files() -> list[Path]:
    """The ontology and the SKOS schemes Agora defines (sectors, roles, purposes...)."""
    return sorted(ontology_dir().glob("*.ttl"))


def vocabulary_files() -> list[Path]:
    """The shipped subset of the EU controlled vocabularies (background knowledge)."""
    d = ontology_dir() / "vocabularies"
    return sorted(d.glob("*.ttl")) if d.is_dir() else []
