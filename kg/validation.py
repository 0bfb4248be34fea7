"""Validation profiles and how Agora validates data: on load, on write, and on demand.

A profile names a set of shapes. Built-in profiles ship in `shapes/`; a curator can also name
shapes files (`--shapes S`), which are copied into the data directory so that later writes to
the source are checked against exactly the same shapes even if the file moves.
"""

from __future__ import annotations

import hashlib
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import BadInput
from .registry import SourceInfo

DEFAULT_PROFILE = "agora"


@lru_cache(maxsize=16)
def _validator(key: tuple[str, ...]) -> Any:
    """A validator for shapes files given directly (`--shapes`), not through a profile name."""
    from .profiles import parse_shapes
    from .shacl import Validator

    return Validator(parse_shapes([Path(p) for p in key]))


def register_shapes(data_dir: Path, files: list[Path]) -> str:
    """Copy curator-given shapes into the data directory; returns the profile id `shapes:<sha>`."""
    h = hashlib.sha256()
    for f in files:
        if not Path(f).is_file():
            raise BadInput(f"{f}: no such shapes file")
        h.update(Path(f).read_bytes())
    digest = h.hexdigest()[:16]
    target = data_dir / "profiles" / digest
    if not target.is_dir():
        from .profiles import parse_shapes

        parse_shapes([Path(f) for f in files])  # refuse shapes that do not parse before registering them
        target.mkdir(parents=True, exist_ok=True)
        for i, f in enumerate(files):
            shutil.copyfile(f, target / f"{i:02d}-{Path(f).name}")
    return f"shapes:{digest}"


def validator_for(profile: str, data_dir: Path) -> Any:
    """The validator of a profile: built-in, registered by name, or `shapes:<digest>` (see profiles.py)."""
    from .profiles import validator

    return validator(profile, data_dir)


def profile_for_source(requested: str | None, existing: SourceInfo | None) -> str:
    """The profile a load uses: the one asked for, else the one recorded for the source, else Agora's."""
    if requested:
        return requested
    if existing is not None and existing.current.profile not in ("", "none"):
        return existing.current.profile
    return DEFAULT_PROFILE


def background_graphs(store: Any, exclude: str) -> list[Any]:
    """Graphs consulted for rdf:type lookups: the ontology, vocabularies and the other sources."""
    return [s.physical for s in store.sources() if s.name != exclude]


def validate_version(store: Any, info: SourceInfo, profile: str, focus_nodes: list[Any] | None = None) -> Any:
    """Validate the (possibly not yet committed) physical graph of `info` against `profile`."""
    validator = validator_for(profile, store.settings.data_dir)
    restorer = store.restorer([info]) if store.get(info.name) is info else _fresh_restorer(store, info)
    return validator.validate_store(
        store.ox, [info.physical], background_graphs=background_graphs(store, info.name),
        focus_nodes=focus_nodes, restore=restorer.restore_pairs if restorer else None)


def _fresh_restorer(store: Any, info: SourceInfo) -> Any:
    from .fidelity import Restorer

    return Restorer(store.ox, [info.fidelity])


def validate_documents(docs: list[Any], *, profile: str | None = None, shapes: list[Path] | None = None,
                       background: bool | None = None, focus_nodes: list[Any] | None = None,
                       data_dir: Path | None = None) -> Any:
    """Validate documents that are not in the store (CLI `agora validate FILE`, POST /validate).

    The documents go into a temporary in-memory store with the same fidelity records a load
    makes, so a file gives the same report here as after loading. Background knowledge (the
    ontology and shipped vocabularies) is used for the built-in profiles by default and for
    custom shapes only when asked, so that custom shapes give exactly pyshacl's results.
    """
    import pyoxigraph as ox

    from .fidelity import FidelityRecorder, Restorer
    from .loader import _stream
    from .rdfio import RDFInput
    from .resources import ontology_files, vocabulary_files

    if shapes:
        validator = _validator(tuple(str(Path(p).resolve()) for p in shapes))
        use_background = bool(background)
    else:
        from .profiles import get_profile

        name = profile or DEFAULT_PROFILE
        validator = validator_for(name, data_dir or Path("."))
        use_background = get_profile(name, data_dir).background_default if background is None else background
    mem = ox.Store()
    data = ox.NamedNode("urn:agora:validate:data")
    fid = ox.NamedNode("urn:agora:validate:fid")
    recorder = FidelityRecorder()
    mem.bulk_extend(_stream(docs, data, recorder, None))
    mem.bulk_extend(recorder.quads(fid))
    bg: list[Any] = []
    if use_background:
        bgg = ox.NamedNode("urn:agora:validate:background")
        for f in [*ontology_files(), *vocabulary_files()]:
            mem.bulk_extend(_stream([RDFInput.from_path(f)], bgg, FidelityRecorder(), None))
        bg.append(bgg)
    restorer = Restorer(mem, [fid])
    return validator.validate_store(mem, [data], background_graphs=bg, focus_nodes=focus_nodes,
                                    restore=restorer.restore_pairs if restorer else None)


def validate_source(store: Any, name: str, *, profile: str | None = None, focus_nodes: list[Any] | None = None) -> Any:
    """Validate a stored source (its current version) against its recorded profile or `profile`."""
    info = store.require(name)
    chosen = profile or (info.current.profile if info.current.profile not in ("", "none") else DEFAULT_PROFILE)
    return validate_version(store, info, chosen, focus_nodes=focus_nodes)


def validate_stored(store: Any, name: str | None, *, profile: str | None = None,
                    focus_nodes: list[Any] | None = None) -> Any:
    """Validate one stored source, or every curator source when `name` is None (reports merged)."""
    if name is not None:
        return validate_source(store, name, profile=profile, focus_nodes=focus_nodes)
    report = None
    for info in store.sources(include_system=False):
        part = validate_source(store, info.name, profile=profile, focus_nodes=focus_nodes)
        report = part if report is None else report.merge(part)
    if report is None:
        from .shacl import Report

        report = Report([])
    return report
