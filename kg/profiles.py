"""Validation profiles: named, versioned sets of SHACL shapes that curators pick by name.

Why names: a source records the profile it was validated against, and a harvest or a national
portal asks for "DCAT-AP 2.1.1" or "DCAT-AP 3.0.1, mandatory only", not for a list of files.
Names carry the specification version (`dcat-ap@3.0.1`) so that a future 3.1 profile can sit next
to the old one without silently changing what existing sources were checked against.

Built-in profiles are views over the shapes files in `shapes/`:

- `agora`: DCAT-AP 3 (complete, recommended properties as warnings) plus the Agora profile;
- `dcat-ap@3.0.1`: DCAT-AP 3.0.1 mandatory properties, cardinalities and ranges only, like the
  official shapes.ttl + range.ttl (what MQA's "DCAT-AP compliance" asks for);
- `dcat-ap-recommended@3.0.1`: the above plus the recommended properties, as warnings;
- `dcat-ap@2.1.1` and `dcat-ap-recommended@2.1.1`: the same pair for DCAT-AP 2.1.1.

A "mandatory only" view is the same file with its recommendation shapes switched off by adding
`sh:deactivated true` to an in-memory copy: one file per specification stays the single source of
truth. Recommendation shapes are those whose IRI ends in `-recommended` and those with a severity
below sh:Violation (Agora's own usability checks, such as a contact point without any address,
which DCAT-AP does not require).

Curators can register their own profiles (`my-city@1.0`): the files are copied under
`DATA_DIR/profiles/named/NAME/` so that later validations use exactly the registered shapes even
if the originals move or change. Anonymous `--shapes` uploads (`shapes:<digest>`, see
validation.register_shapes) are resolved here too, so one function answers "which shapes does this
profile name mean".
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import rdflib
from rdflib.namespace import SH
from rdflib.util import guess_format

from .errors import BadInput
from .resources import shapes_dir

NAMED_DIR = Path("profiles") / "named"
"""Where registered profiles live, relative to the data directory."""
META_FILE = "profile.json"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(@[A-Za-z0-9][A-Za-z0-9._+-]{0,31})?$")


@dataclass(frozen=True)
class ProfileInfo:
    """What a profile name stands for."""

    name: str
    description: str
    files: tuple[Path, ...]
    background_default: bool
    """Whether validation reads the ontology and shipped vocabularies as background by default."""
    builtin: bool = True
    recommended: bool = True
    """False when recommendation shapes are switched off (a "mandatory only" view)."""
    registered_at: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    background_files: tuple[Path, ...] = ()
    """A registered profile's own background knowledge (vocabularies its sh:class checks refer to),
    read besides the ontology and shipped vocabularies whenever background is used."""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "builtin": self.builtin,
                "files": [p.name for p in self.files], "background_default": self.background_default,
                "background_files": [p.name for p in self.background_files],
                "recommended": self.recommended, "registered_at": self.registered_at or None}


def _builtin(name: str, description: str, files: tuple[str, ...], recommended: bool) -> ProfileInfo:
    return ProfileInfo(name, description, tuple(shapes_dir() / f for f in files), True, True, recommended)


def builtin_profiles() -> dict[str, ProfileInfo]:
    """The profiles that ship with Agora, by name (computed, so an installed wheel finds its files)."""
    return {p.name: p for p in (
        _builtin("agora", "DCAT-AP 3.0.1 with recommended properties as warnings, plus the Agora profile "
                 "(use cases, participations, data flows, stakeholders, ODRL policies).",
                 ("dcat-ap-3.ttl", "agora.ttl"), True),
        _builtin("dcat-ap@3.0.1", "DCAT-AP 3.0.1: mandatory properties, cardinalities and ranges "
                 "(as the official shapes.ttl + range.ttl); no recommendations.", ("dcat-ap-3.ttl",), False),
        _builtin("dcat-ap-recommended@3.0.1", "DCAT-AP 3.0.1 complete: mandatory properties and ranges as "
                 "violations, recommended properties as warnings.", ("dcat-ap-3.ttl",), True),
        _builtin("dcat-ap@2.1.1", "DCAT-AP 2.1.1: mandatory properties, cardinalities and ranges; "
                 "no recommendations.", ("dcat-ap-2.ttl",), False),
        _builtin("dcat-ap-recommended@2.1.1", "DCAT-AP 2.1.1 complete: mandatory properties and ranges as "
                 "violations, recommended properties as warnings.", ("dcat-ap-2.ttl",), True),
    )}


RESERVED_BASES = frozenset({"agora", "dcat-ap", "dcat-ap-recommended"})
"""Name families that belong to Agora's built-in profiles; curators pick other names."""


def check_profile_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise BadInput(f"profile name {name!r} is not valid: use letters, digits, '.', '_' or '-', optionally "
                       "followed by @VERSION, for example my-city@1.0")
    base = name.split("@", 1)[0].lower()
    if name in builtin_profiles() or base in RESERVED_BASES:
        raise BadInput(f"profile name {name!r} is reserved for Agora's built-in profiles "
                       f"({', '.join(builtin_profiles())}); choose another name, for example my-city@1.0")
    return name


# ---------------------------------------------------------------------------------------------- lookup


def _named_dir(data_dir: Path, name: str) -> Path:
    return Path(data_dir) / NAMED_DIR / name


def _read_registered(directory: Path) -> ProfileInfo | None:
    meta_path = directory / META_FILE
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return None
    return ProfileInfo(name=meta["name"], description=meta.get("description", ""),
                       files=tuple(directory / f for f in meta["files"]),
                       background_default=bool(meta.get("background", True)), builtin=False,
                       recommended=True, registered_at=meta.get("registered_at", ""),
                       extra={"sha256": meta.get("sha256", "")},
                       background_files=tuple(directory / f for f in meta.get("background_files", [])))


def _anonymous(name: str, data_dir: Path) -> ProfileInfo:
    """`shapes:<digest>`: shapes uploaded with a load (validation.register_shapes)."""
    d = Path(data_dir) / "profiles" / name.removeprefix("shapes:")
    if not d.is_dir():
        raise BadInput(f"registered shapes {name} are missing from {d.parent}")
    return ProfileInfo(name, "Shapes given with a load (--shapes).", tuple(sorted(d.iterdir())), True, False)


def get_profile(name: str, data_dir: Path | None = None) -> ProfileInfo:
    """Resolve a profile name: built-in, registered in `data_dir`, or `shapes:<digest>`."""
    builtins = builtin_profiles()
    if name in builtins:
        return builtins[name]
    if data_dir is not None:
        if name.startswith("shapes:"):
            return _anonymous(name, data_dir)
        if NAME_RE.match(name):
            info = _read_registered(_named_dir(data_dir, name))
            if info is not None:
                return info
    known = [p.name for p in list_profiles(data_dir)]
    raise BadInput(f"unknown profile {name!r}; known profiles: {', '.join(known)}")


def list_profiles(data_dir: Path | None = None) -> list[ProfileInfo]:
    """Built-in profiles, then the ones registered in `data_dir` (by name)."""
    out = list(builtin_profiles().values())
    if data_dir is not None:
        root = Path(data_dir) / NAMED_DIR
        if root.is_dir():
            for d in sorted(root.iterdir()):  # dot-directories are registrations in progress
                info = _read_registered(d) if d.is_dir() and not d.name.startswith(".") else None
                if info is not None:
                    out.append(info)
    return out


# ---------------------------------------------------------------------------------------------- shapes


def _fingerprint(files: tuple[Path, ...]) -> tuple[tuple[str, int, int], ...]:
    """Path, size and mtime: a replaced registered profile gets a fresh cache entry."""
    out = []
    for f in files:
        try:
            st = f.stat()
        except OSError as exc:
            raise BadInput(f"{f}: the shapes file of this profile is missing ({exc})") from exc
        out.append((str(f), st.st_size, st.st_mtime_ns))
    return tuple(out)


def parse_shapes(files: tuple[Path, ...] | list[Path]) -> rdflib.Graph:
    g = rdflib.Graph()
    for path in files:
        fmt = guess_format(str(path)) or "turtle"
        try:
            g.parse(path, format=fmt)
        except Exception as exc:  # rdflib raises many parser-specific types
            raise BadInput(f"{path}: the shapes do not parse: {exc}") from exc
    return g


def recommendation_shapes(g: rdflib.Graph) -> set[rdflib.term.Node]:
    """Shapes that only recommend: IRI ending in `-recommended`, or severity below sh:Violation."""
    found: set[rdflib.term.Node] = set()
    for kind in (SH.NodeShape, SH.PropertyShape):
        for s in g.subjects(rdflib.RDF.type, kind):
            if isinstance(s, rdflib.URIRef) and str(s).endswith("-recommended"):
                found.add(s)
    for s, severity in g.subject_objects(SH.severity):
        if severity in (SH.Warning, SH.Info):
            found.add(s)
    return found


@lru_cache(maxsize=32)
def _shapes_graph(fingerprint: tuple[tuple[str, int, int], ...], recommended: bool) -> rdflib.Graph:
    g = parse_shapes([Path(p) for p, _size, _mtime in fingerprint])
    if not recommended:
        for s in recommendation_shapes(g):
            g.add((s, SH.deactivated, rdflib.Literal(True)))
    return g


def shapes_graph(name: str, data_dir: Path | None = None) -> rdflib.Graph:
    """The shapes graph of a profile (shared and cached: do not modify it)."""
    info = get_profile(name, data_dir)
    return _shapes_graph(_fingerprint(info.files), info.recommended)


@lru_cache(maxsize=32)
def _validator(fingerprint: tuple[tuple[str, int, int], ...], recommended: bool) -> Any:
    from .shacl import Validator

    return Validator(_shapes_graph(fingerprint, recommended))


def validator(name: str, data_dir: Path | None = None) -> Any:
    """The compiled `agora.kg.shacl.Validator` of a profile, cached (it is thread-safe)."""
    info = get_profile(name, data_dir)
    return _validator(_fingerprint(info.files), info.recommended)


@lru_cache(maxsize=64)
def _content_digest(fingerprint: tuple[tuple[str, int, int], ...], recommended: bool) -> str:
    import hashlib

    h = hashlib.sha256(b"recommended" if recommended else b"mandatory")
    for path, _size, _mtime in fingerprint:
        h.update(b"\0" + Path(path).read_bytes())
    return h.hexdigest()


def profile_digest(name: str, data_dir: Path | None = None) -> str:
    """A digest of exactly the shapes (and own background) a profile name stands for now.

    Stored with each validation summary: a summary is only ever combined with a later
    validation (incremental re-validation) when the shapes are byte-for-byte the same, so a
    replaced registered profile or an edited shapes file never mixes old and new results.
    """
    info = get_profile(name, data_dir)
    digest = _content_digest(_fingerprint(info.files), info.recommended)
    if info.background_files:
        digest += "+" + _content_digest(_fingerprint(info.background_files), True)
    return digest


# ---------------------------------------------------------------------------------------------- registry


def register_profile(data_dir: Path, name: str, files: list[Path], *, description: str = "",
                     background: bool = True, replace: bool = False,
                     background_files: list[Path] | None = None) -> ProfileInfo:
    """Copy curator shapes into the data directory under a profile name and return its info.

    The files must parse as RDF. Registering the same content again is a no-op; different
    content under an existing name needs `replace=True` (sources validated before keep their
    recorded report, later validations use the new shapes). `background` (default on, as for the
    built-in profiles and for loads) makes `agora validate FILE --profile NAME` read the ontology and
    vocabularies, which shapes with sh:class on EU codes need; off gives plain pyshacl semantics.
    `background_files` are the profile's own background knowledge (say, the full EU tables its
    shapes refer to), copied with the shapes and read with the shipped vocabularies.
    """
    import hashlib

    check_profile_name(name)
    paths = [Path(f) for f in files]
    extra = [Path(f) for f in background_files or []]
    if not paths:
        raise BadInput("name at least one shapes file to register")
    h = hashlib.sha256()
    for f in [*paths, *extra]:
        if not f.is_file():
            raise BadInput(f"{f}: no such {'shapes' if f in paths else 'background'} file")
    for f in paths:
        h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    if extra:
        h.update(b"background\0")
        for f in extra:
            h.update(f.name.encode() + b"\0" + f.read_bytes() + b"\0")
    digest = h.hexdigest()
    target = _named_dir(data_dir, name)
    existing = _read_registered(target)
    if existing is not None and not replace:
        if existing.extra.get("sha256") == digest and existing.background_default == background:
            return existing
        raise BadInput(f"profile {name!r} is already registered with other shapes; replace it explicitly, "
                       f"or register a new version (for example {name.split('@')[0]}@NEXT)")
    graph = parse_shapes(paths)  # refuse broken files before anything is written
    if not any(graph.subjects(rdflib.RDF.type, SH.NodeShape)) and not any(graph.subjects(SH.path, None)):
        raise BadInput(f"{', '.join(str(p) for p in paths)}: no SHACL shapes found")
    if extra:
        parse_shapes(extra)  # background files must parse too (they need not contain shapes)
        background = True
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    names = [f"{i:02d}-{p.name}" for i, p in enumerate(paths)]
    bg_names = [f"bg-{i:02d}-{p.name}" for i, p in enumerate(extra)]
    for p, n in zip([*paths, *extra], [*names, *bg_names], strict=True):
        shutil.copyfile(p, staging / n)
    meta = {"name": name, "description": description, "files": names, "background": background,
            "background_files": bg_names, "sha256": digest,
            "registered_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")}
    (staging / META_FILE).write_text(json.dumps(meta, indent=2))
    if target.exists():  # replace: move the old one aside first so readers never see a mix
        old = target.with_name(f".{name}.old-{digest[:8]}")
        target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.rename(target)
    info = _read_registered(target)
    assert info is not None
    return info


def remove_profile(data_dir: Path, name: str, *, in_use: list[str] | None = None, force: bool = False) -> ProfileInfo:
    """Unregister a curator profile (its copied files go too); built-in profiles cannot be removed.

    `in_use` names the sources whose current version was validated with the profile: their
    later writes would have no shapes to be checked against, so removal is refused unless
    `force` (they then need `agora load --replace --shapes ...` or a new profile).
    """
    if name in builtin_profiles() or name.startswith("shapes:"):
        raise BadInput(f"profile {name!r} is built in (or belongs to a load's --shapes) and cannot be removed")
    target = _named_dir(data_dir, name) if NAME_RE.match(name) else None
    info = _read_registered(target) if target is not None else None
    if info is None or target is None:
        known = [p.name for p in list_profiles(data_dir) if not p.builtin]
        raise BadInput(f"no registered profile {name!r}; registered: {', '.join(known) or 'none'}")
    if in_use and not force:
        raise BadInput(f"profile {name!r} is the profile of source(s) {', '.join(sorted(in_use))}: later writes to "
                       "them are validated against it; reload them with another profile first, or remove it anyway "
                       "(--force)")
    trash = target.with_name(f".{name}.removed-{datetime.now(UTC).strftime('%Y%m%d%H%M%S%f')}")
    target.rename(trash)  # one step: readers see the profile or no profile, never half of it
    shutil.rmtree(trash, ignore_errors=True)
    return info


def profile_users(store: Any, name: str) -> list[str]:
    """Sources whose current version records `name` as its validation profile."""
    return [s.name for s in store.sources(include_system=False) if s.current.profile == name]
