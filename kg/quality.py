"""Metadata quality scores compatible with the data.europa.eu Metadata Quality Assessment (MQA).

Why MQA: it is how the European data portal rates every catalogue it harvests, so a city that
sees the same score in Agora knows what data.europa.eu will show and what to fix first.

Scoring (default weights in `quality_weights.toml`, 405 points):

- Findability 100: keywords 30, themes 30, spatial 20, temporal 20 (dataset properties).
- Accessibility 100: access URL reachable 50, download URL present 20, download URL reachable 30.
- Interoperability 110: format 20, media type 10, format or media type from a controlled vocabulary
  10, non-proprietary format 20, machine-readable format 20, DCAT-AP compliance 30.
- Reusability 75: licence 20, licence from the EU licence table 10, access rights 10, access
  rights from the EU access-right table 5, contact point 20, publisher 10.
- Contextuality 20: rights 5, byte size 5, date of issue 5, modification date 5.
- Rating: the MQA bands Excellent 351-405, Good 221-350, Sufficient 121-220, Bad 0-120. With
  custom weights the bands are scaled to the new maximum (a score is compared as score/max).

Distribution-level indicators (access/download URL, format, media type, vocabularies,
non-proprietary, machine-readable, licence, rights, byte size) are averaged over the dataset's
distributions, as MQA does: a dataset with two distributions, one with a licence and one without,
gets 10 of the 20 licence points. A dataset without distributions gets 0 for all of them. Date of
issue and modification date count when the dataset has them; otherwise the share of its
distributions that have them counts (MQA checks both levels).

Reachability is never guessed. Points for reachable URLs come only from the results of an explicit
link-check run (kg/linkcheck.py: `agora quality linkcheck`, `POST /api/quality/linkcheck`), kept per
URL in the operational SQLite database; without them both reachability indicators score 0 and are
reported as "not checked", so a score never looks better or worse than what was actually verified.
A distribution counts as reachable when one of its access (download) URLs answered 2xx/3xx in its
latest check; URLs not checked yet are reported as such.

Controlled vocabularies are the EU tables as the store knows them: the subset shipped in
`ontology/vocabularies/` plus any full table a curator loaded (same IRIs). A format from the EU
file-type table or an IANA media type IRI counts as "from a vocabulary". The non-proprietary and
machine-readable lists below follow the MQA lists (data.europa.eu "edp-vocabularies").

DCAT-AP compliance runs the `dcat-ap@3.0.1` profile (mandatory properties and ranges, see
profiles.py). A dataset loses the points when a violation's focus node is the dataset, one of
its distributions, or a node they point to directly (publisher, contact point, period...), since
MQA validates the dataset's whole description.

A source that was validated on load with a profile covering DCAT-AP 3.0.1 (`agora`, `dcat-ap@3.0.1`,
`dcat-ap-recommended@3.0.1`) is compliant by construction, since loads with violations are refused,
so it is not validated again; other sources (loaded with --no-validate or custom shapes) are.

Scale: everything comes from a handful of SPARQL queries per source (dataset facts, distribution
facts, catalogues), at most one validation run of the whole source, and Python arithmetic;
nothing is queried per dataset. Measured on the 2-core development container with the generated
100k-dataset catalogue (bench/): ~25 s for the facts, ~2 s CPU for the scores, and, when a
validation run is needed, about 2 minutes more. Facts are cached per store generation, so asking
again, or with other weights, only redoes the arithmetic.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .errors import BadInput, SourceNotFound

DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability", "contextuality")
RATINGS = ("excellent", "good", "sufficient", "bad")
MQA_MAX = 405
# Lower bounds (exclusive) of the MQA bands on the 405-point scale: Bad is 0-120, and so on.
_BANDS = ((350, "excellent"), (220, "good"), (120, "sufficient"))
COMPLIANCE_PROFILE = "dcat-ap@3.0.1"
WEIGHTS_FILE = Path(__file__).with_name("quality_weights.toml")
LINK_RESULTS_FILE = "link-check.json"

FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
LICENCE = "http://publications.europa.eu/resource/authority/licence/"
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
SCHEMES = {"file-type": FILE_TYPE.rstrip("/"), "licence": LICENCE.rstrip("/"),
           "access-right": ACCESS_RIGHT.rstrip("/")}
IANA_MEDIA_TYPE = re.compile(r"^https?://www\.iana\.org/assignments/media-types/[a-z]+/[A-Za-z0-9.+_-]+$")

# EU file-type codes MQA counts as non-proprietary (open specification, no licence fee to read).
# Not in it: XLS/XLSX/DOC (proprietary), PDF and SHP (counted by MQA as not non-proprietary).
NON_PROPRIETARY = frozenset({
    "BMP", "CSV", "DBF", "GEOJSON", "GZIP", "HTML", "ICS", "JPEG2000", "JSON", "JSON_LD", "KML", "KMZ",
    "NETCDF", "ODS", "PNG", "RDF_N_QUADS", "RDF_N_TRIPLES", "RDF_TRIG", "RDF_TURTLE", "RDF_XML", "RSS", "RTF",
    "TAR", "TIFF", "TSV", "TXT", "WMS_SRVC", "XML", "ZIP",
})
# EU file-type codes MQA counts as machine-readable (structured, parseable without a person).
# Not in it: PDF, HTML, images, archives (ZIP says nothing about what is inside).
MACHINE_READABLE = frozenset({
    "CSV", "GEOJSON", "ICS", "JSON", "JSON_LD", "KML", "KMZ", "NETCDF", "ODS", "RDFA", "RDF_N_QUADS",
    "RDF_N_TRIPLES", "RDF_TRIG", "RDF_TURTLE", "RDF_XML", "RSS", "SHP", "XLS", "XLSX", "XML",
})


@dataclass(frozen=True)
class Indicator:
    key: str
    dimension: str
    label: str
    level: str
    """'dataset', 'distribution' (averaged) or 'either' (dataset, else distribution average)."""
    fix: str
    """What a curator does to earn the points."""


INDICATORS: tuple[Indicator, ...] = (
    Indicator("keyword", "findability", "Keywords", "dataset", "add keywords (dcat:keyword) to the dataset"),
    Indicator("theme", "findability", "Categories", "dataset",
              "add a theme from the EU data-theme table (dcat:theme)"),
    Indicator("spatial", "findability", "Geographical coverage", "dataset",
              "state the area the data covers (dct:spatial)"),
    Indicator("temporal", "findability", "Temporal coverage", "dataset",
              "state the period the data covers (dct:temporal)"),
    Indicator("access_url_reachable", "accessibility", "Access URL reachable", "distribution",
              "make every dcat:accessURL answer with HTTP 2xx/3xx"),
    Indicator("download_url", "accessibility", "Download URL", "distribution",
              "give each distribution a direct download link (dcat:downloadURL)"),
    Indicator("download_url_reachable", "accessibility", "Download URL reachable", "distribution",
              "make every dcat:downloadURL answer with HTTP 2xx/3xx"),
    Indicator("format", "interoperability", "Format", "distribution",
              "state each distribution's file format (dct:format)"),
    Indicator("media_type", "interoperability", "Media type", "distribution",
              "state each distribution's IANA media type (dcat:mediaType)"),
    Indicator("format_vocabulary", "interoperability", "Format from a vocabulary", "distribution",
              "use an EU file-type IRI for dct:format or an IANA IRI for dcat:mediaType"),
    Indicator("non_proprietary", "interoperability", "Non-proprietary format", "distribution",
              "also publish the data in an open format such as CSV, JSON or XML"),
    Indicator("machine_readable", "interoperability", "Machine-readable format", "distribution",
              "also publish the data in a machine-readable format such as CSV, JSON or XML"),
    Indicator("dcat_ap_compliance", "interoperability", "DCAT-AP compliance", "dataset",
              "fix the DCAT-AP 3.0.1 violations (agora validate --profile dcat-ap@3.0.1)"),
    Indicator("licence", "reusability", "Licence", "distribution",
              "state each distribution's licence (dct:license)"),
    Indicator("licence_vocabulary", "reusability", "Licence from a vocabulary", "distribution",
              "use a licence IRI from the EU licence table"),
    Indicator("access_rights", "reusability", "Access restrictions", "dataset",
              "state the access rights (dct:accessRights)"),
    Indicator("access_rights_vocabulary", "reusability", "Access rights from a vocabulary", "dataset",
              "use PUBLIC, RESTRICTED or NON_PUBLIC from the EU access-right table"),
    Indicator("contact_point", "reusability", "Contact point", "dataset",
              "add a contact point (dcat:contactPoint)"),
    Indicator("publisher", "reusability", "Publisher", "dataset", "name the publisher (dct:publisher)"),
    Indicator("rights", "contextuality", "Rights", "distribution",
              "add a rights statement to each distribution (dct:rights)"),
    Indicator("byte_size", "contextuality", "File size", "distribution",
              "state each distribution's size in bytes (dcat:byteSize)"),
    Indicator("issued", "contextuality", "Date of issue", "either", "state the release date (dct:issued)"),
    Indicator("modified", "contextuality", "Modification date", "either",
              "state the last modification date (dct:modified)"),
)
BY_KEY = {i.key: i for i in INDICATORS}
_REACHABILITY = ("access_url_reachable", "download_url_reachable")


# ---------------------------------------------------------------------------------------------- weights


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{path}: {exc}") from exc


def _check_weights(values: Mapping[str, Any], where: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in values.items():
        if key not in BY_KEY:
            raise BadInput(f"{where}: unknown quality indicator {key!r}; known: {', '.join(BY_KEY)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise BadInput(f"{where}: the weight of {key!r} must be a number >= 0, not {value!r}")
        out[key] = float(value)
    return out


def load_weights(data_dir: Path | None = None) -> dict[str, float]:
    """The MQA defaults, overridden by `[quality_weights]` in the data directory's agora.toml."""
    weights = _check_weights(_read_toml(WEIGHTS_FILE), str(WEIGHTS_FILE))
    missing = set(BY_KEY) - set(weights)
    if missing:
        raise BadInput(f"{WEIGHTS_FILE}: no weight for {', '.join(sorted(missing))}")
    if data_dir is not None:
        cfg = Path(data_dir) / "agora.toml"
        if cfg.is_file():
            table = _read_toml(cfg).get("quality_weights", {})
            if not isinstance(table, dict):
                raise BadInput(f"{cfg}: quality_weights must be a table ([quality_weights])")
            weights.update(_check_weights(table, f"{cfg} [quality_weights]"))
    return weights


def rating(total: float, maximum: float) -> str:
    """The MQA band of a score, on the 405-point scale the bands are defined for."""
    scaled = total * MQA_MAX / maximum if maximum > 0 else 0.0
    for bound, name in _BANDS:
        if scaled > bound + 1e-9:
            return name
    return "bad"


# ---------------------------------------------------------------------------------------------- link checks


@dataclass(frozen=True)
class LinkResults:
    """Outcome of link-check runs: URL -> reachable (HTTP 2xx/3xx), as of the latest check."""

    checked_at: str
    ok: Mapping[str, bool]


def _ops(data_dir: Path) -> Any:
    from .opsdb import OpsDB

    return OpsDB(Path(data_dir) / "ops.sqlite")


def load_link_results(data_dir: Path) -> LinkResults | None:
    """The link-check results kept in the ops database (kg/linkcheck.py), or None if no URL was checked.

    A `link-check.json` with a `urls` table (written by earlier versions) is still read when the
    database has none.
    """
    path = Path(data_dir) / LINK_RESULTS_FILE
    if (Path(data_dir) / "ops.sqlite").is_file():
        rows = _ops(data_dir).link_checks()
        if rows:
            return LinkResults(max(r["checked_at"] for r in rows.values()),
                               {u: bool(r["ok"]) for u, r in rows.items()})
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text())
        if "urls" not in raw:
            return None  # the marker mark_link_results writes: the results are in the database
        urls = raw["urls"]
        return LinkResults(str(raw.get("checked_at", "")), {u: bool(v.get("ok")) for u, v in urls.items()})
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise BadInput(f"{path}: not a link-check result file ({exc})") from exc


def mark_link_results(data_dir: Path) -> Path:
    """Note that link-check results changed (`link-check.json`: when), for caches keyed by its mtime."""
    path = Path(data_dir) / LINK_RESULTS_FILE
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"checked_at": now, "results": "ops.sqlite, table link_checks"}))
    tmp.replace(path)
    return path


def save_link_results(data_dir: Path, results: Mapping[str, tuple[bool, int | None]]) -> Path:
    """Record link-check outcomes: URL -> (reachable, HTTP status), in the ops database."""
    now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    _ops(data_dir).record_link_checks([
        {"url": u, "status": status, "ok": ok, "error": None if ok else f"HTTP {status}", "method": None,
         "elapsed_ms": None, "checked_at": now} for u, (ok, status) in results.items()])
    return mark_link_results(data_dir)


# ---------------------------------------------------------------------------------------------- facts

_PREFIXES = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""
# Presence of a property is a bit of ?m, computed inside the store: one short row per node keeps
# the Python side of a 100k-dataset source cheap.
_DATASET_BITS = {"keyword": 1, "theme": 2, "spatial": 4, "temporal": 8, "contact_point": 16, "publisher": 32,
                 "issued": 64, "modified": 128}
_DATASETS = _PREFIXES + """SELECT ?d ?m ?ar WHERE { GRAPH <%(g)s> {
  %(values)s ?d a dcat:Dataset .
  BIND(IF(EXISTS { ?d dcat:keyword ?x1 }, 1, 0) + IF(EXISTS { ?d dcat:theme ?x2 }, 2, 0)
     + IF(EXISTS { ?d dct:spatial ?x3 }, 4, 0) + IF(EXISTS { ?d dct:temporal ?x4 }, 8, 0)
     + IF(EXISTS { ?d dcat:contactPoint ?x5 }, 16, 0) + IF(EXISTS { ?d dct:publisher ?x6 }, 32, 0)
     + IF(EXISTS { ?d dct:issued ?x7 }, 64, 0) + IF(EXISTS { ?d dct:modified ?x8 }, 128, 0) AS ?m)
  OPTIONAL { ?d dct:accessRights ?ar }
} }"""
_DIST_BITS = {"download": 1, "rights": 2, "byte_size": 4, "issued": 8, "modified": 16}
_DISTRIBUTIONS = _PREFIXES + """SELECT ?d ?x ?m ?fmt ?mt ?lic WHERE { GRAPH <%(g)s> {
  %(values)s ?d a dcat:Dataset ; dcat:distribution ?x .
  OPTIONAL { ?x dct:format ?fmt } OPTIONAL { ?x dcat:mediaType ?mt } OPTIONAL { ?x dct:license ?lic }
  BIND(IF(EXISTS { ?x dcat:downloadURL ?y1 }, 1, 0) + IF(EXISTS { ?x dct:rights ?y2 }, 2, 0)
     + IF(EXISTS { ?x dcat:byteSize ?y3 }, 4, 0) + IF(EXISTS { ?x dct:issued ?y4 }, 8, 0)
     + IF(EXISTS { ?x dct:modified ?y5 }, 16, 0) AS ?m)
} }"""
_URLS = _PREFIXES + """SELECT ?x ?k ?u WHERE { GRAPH <%(g)s> {
  %(values)s ?d a dcat:Dataset ; dcat:distribution ?x .
  { ?x dcat:accessURL ?u BIND("a" AS ?k) } UNION { ?x dcat:downloadURL ?u BIND("d" AS ?k) }
} }"""
_CATALOGS = _PREFIXES + """SELECT ?c ?d WHERE { GRAPH <%(g)s> { ?c a dcat:Catalog ; dcat:dataset ?d } }"""
_VOCAB = _PREFIXES + """SELECT ?c ?s ?see WHERE {
  VALUES ?s { %(schemes)s } ?c skos:inScheme ?s . OPTIONAL { ?c rdfs:seeAlso ?see } }"""
_TITLES = _PREFIXES + """SELECT ?d ?t WHERE { GRAPH <%(g)s> { VALUES ?d { %(values)s } ?d dct:title ?t } }"""

Term = ox.NamedNode | ox.BlankNode


class Distribution:
    """What the indicators need from one distribution. Slots and tuples: there may be 10^5 of them."""

    __slots__ = ("mask", "formats", "media_types", "licences", "access_urls", "download_urls")

    def __init__(self, mask: int) -> None:
        self.mask = mask
        self.formats: tuple[Any, ...] = ()
        self.media_types: tuple[Any, ...] = ()
        self.licences: tuple[Any, ...] = ()
        self.access_urls: tuple[str, ...] = ()
        self.download_urls: tuple[str, ...] = ()

    def has(self, what: str) -> bool:
        return bool(self.mask & _DIST_BITS[what])


class Dataset:
    """What the indicators need from one dataset."""

    __slots__ = ("iri", "mask", "access_rights", "distributions", "violations", "violation_count")

    def __init__(self, iri: Term, mask: int) -> None:
        self.iri = iri
        self.mask = mask
        self.access_rights: tuple[Any, ...] = ()
        self.distributions: list[Term] = []
        self.violations: list[str] = []
        """Messages of the DCAT-AP violations attributed to the dataset (the first few)."""
        self.violation_count = 0

    def has(self, what: str) -> bool:
        return bool(self.mask & _DATASET_BITS[what])


@dataclass
class Vocabularies:
    """Concepts of the EU tables the store knows, by table name ('file-type', 'licence'...)."""

    members: dict[str, set[str]]
    licence_aliases: dict[str, str]
    """Other IRIs of EU licences (rdfs:seeAlso, e.g. creativecommons.org pages) -> EU IRI."""

    @classmethod
    def from_store(cls, store: Any) -> Vocabularies:
        graphs = store.public_physical_graphs()
        members: dict[str, set[str]] = {k: set() for k in SCHEMES}
        aliases: dict[str, str] = {}
        by_scheme = {v: k for k, v in SCHEMES.items()}
        schemes = " ".join(f"<{s}>" for s in SCHEMES.values())
        for c, s, see in store.ox.query(_VOCAB % {"schemes": schemes}, default_graph=graphs):
            table = by_scheme[s.value]
            members[table].add(c.value)
            if table == "licence" and isinstance(see, ox.NamedNode):
                aliases[see.value] = c.value
        return cls(members, aliases)


@dataclass
class SourceFacts:
    """Everything the scores of one source's datasets are computed from (weights not applied)."""

    source: str
    datasets: dict[Term, Dataset]
    distributions: dict[Term, Distribution]
    catalogs: dict[Term, list[Term]]
    compliance_checked: bool
    link_results: LinkResults | None


def _values(focus: Term | None, var: str = "?d") -> str:
    return f"VALUES {var} {{ <{focus.value}> }}" if focus is not None else ""


def _add(values: tuple[Any, ...], term: Any) -> tuple[Any, ...]:
    return values if term is None or term in values else (*values, term)


def gather(store: Any, info: Any, *, dataset: ox.NamedNode | None = None, compliance: bool = True,
           link_results: LinkResults | None = None) -> SourceFacts:
    """Read the facts of every dataset of a source (or of one dataset) with a few SPARQL queries."""
    g = info.physical.value
    values = _values(dataset)
    datasets: dict[Term, Dataset] = {}
    for d, m, ar in store.ox.query(_DATASETS % {"g": g, "values": values}):
        ds = datasets.get(d)
        if ds is None:
            ds = datasets[d] = Dataset(d, int(m.value))
        ds.access_rights = _add(ds.access_rights, ar)
    dists: dict[Term, Distribution] = {}
    for d, x, m, fmt, mt, lic in store.ox.query(_DISTRIBUTIONS % {"g": g, "values": values}):
        dist = dists.get(x)
        if dist is None:
            dist = dists[x] = Distribution(int(m.value))
        ds = datasets.get(d)
        if ds is not None and x not in ds.distributions:
            ds.distributions.append(x)
        dist.formats = _add(dist.formats, fmt)
        dist.media_types = _add(dist.media_types, mt)
        dist.licences = _add(dist.licences, lic)
    if link_results is not None:
        for x, k, u in store.ox.query(_URLS % {"g": g, "values": values}):
            dist = dists.get(x)
            if dist is not None and isinstance(u, ox.NamedNode):
                if k.value == "a":
                    dist.access_urls = _add(dist.access_urls, u.value)
                else:
                    dist.download_urls = _add(dist.download_urls, u.value)
    catalogs: dict[Term, list[Term]] = {}
    if dataset is None:
        for c, d in store.ox.query(_CATALOGS % {"g": g}):
            catalogs.setdefault(c, []).append(d)
    facts = SourceFacts(info.name, datasets, dists, catalogs, False, link_results)
    if compliance and datasets:
        if not _passed_at_load(info):
            _check_compliance(store, info, facts, dataset)
        facts.compliance_checked = True
    return facts


# Profiles whose violations include every DCAT-AP 3.0.1 violation (the Agora profile adds shapes).
_COVERING = frozenset({"agora", "dcat-ap@3.0.1", "dcat-ap-recommended@3.0.1"})


def _passed_at_load(info: Any) -> bool:
    """A version committed after validation with a covering profile has no DCAT-AP 3 violation.

    Loads with violations are refused, so re-validating such a source would only repeat the
    load-time run (minutes for 10^5 datasets). Only a change in other sources (an agent described
    elsewhere) could change the outcome since; `agora validate --graph` re-checks on demand.
    """
    v = info.current
    return v.profile in _COVERING and v.validation in ("conforms", "warnings") and v.violations == 0


def _to_ox(term: Any) -> Term | None:
    from rdflib import BNode, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    return None


def _check_compliance(store: Any, info: Any, facts: SourceFacts, dataset: ox.NamedNode | None) -> None:
    """Validate with the dcat-ap@3.0.1 profile once and attribute violations to datasets."""
    from . import profiles
    from .validation import background_graphs

    validator = profiles.validator(COMPLIANCE_PROFILE, store.settings.data_dir)
    focus: list[Term] | None = None
    if dataset is not None:
        focus = [dataset]
        for ds in facts.datasets.values():
            focus.extend(ds.distributions)
    restorer = store.restorer([info])
    background = background_graphs(store, info.name)
    # A whole catalog is read once from a remote store (focus nodes are few: read them in place).
    view, restorer = (store.ox, restorer) if focus is not None else store.read_view(info, background, restorer)
    report = validator.validate_store(view, [info.physical], background_graphs=background,
                                      focus_nodes=focus, restore=restorer.restore_pairs if restorer else None)
    owners: dict[Term, set[Term]] = {}
    for d, ds in facts.datasets.items():
        owners.setdefault(d, set()).add(d)
        for x in ds.distributions:
            owners.setdefault(x, set()).add(d)
    linked: dict[Term, set[Term]] = {}
    for r in report.violations:
        node = _to_ox(r.focus_node)
        if node is None:
            continue
        targets = owners.get(node)
        if targets is None:
            targets = linked.get(node)
            if targets is None:  # a publisher, contact point, period... : who points to it?
                targets = set()
                for q in store.ox.quads_for_pattern(None, None, node, info.physical):
                    targets |= owners.get(q.subject, set())
                linked[node] = targets
        message = str(r.messages[0]) if r.messages else str(r.source_shape)
        for d in targets:
            ds = facts.datasets[d]
            ds.violation_count += 1
            if len(ds.violations) < 5:
                ds.violations.append(message if node == d else f"{message} (on {_show(node)})")


def _show(term: Any) -> str:
    return f"<{term.value}>" if isinstance(term, ox.NamedNode) else "a blank node"


# ---------------------------------------------------------------------------------------------- scoring

KEYS = tuple(i.key for i in INDICATORS)
_INDEX = {k: i for i, k in enumerate(KEYS)}
# Distribution-level columns, evaluated once per distribution and averaged per dataset; the last
# two say whether the distribution's URLs were missing from the link-check results.
_DIST_COLUMNS = ("download_url", "format", "media_type", "format_vocabulary", "non_proprietary", "machine_readable",
                 "licence", "licence_vocabulary", "rights", "byte_size", "issued", "modified",
                 "access_url_reachable", "download_url_reachable", "_access_unchecked", "_download_unchecked")
_DATASET_PRESENCE = ("keyword", "theme", "spatial", "temporal", "contact_point", "publisher")


def _code(fmt: Any) -> str | None:
    if isinstance(fmt, ox.NamedNode) and fmt.value.startswith(FILE_TYPE):
        return fmt.value[len(FILE_TYPE):]
    return None


def _in_vocab(values: Iterable[Any], members: set[str]) -> bool:
    return any(isinstance(v, ox.NamedNode) and v.value in members for v in values)


def _iana(values: Iterable[Any]) -> bool:
    return any(isinstance(m, ox.NamedNode) and IANA_MEDIA_TYPE.match(m.value) for m in values)


def _reach(urls: tuple[str, ...], links: LinkResults | None) -> tuple[bool, bool]:
    """(some URL is reachable, the URLs were not checked)."""
    if links is None:
        return False, True
    known = [links.ok[u] for u in urls if u in links.ok]
    return any(known), bool(urls) and not known


def _dist_vector(x: Distribution, vocab: Vocabularies, links: LinkResults | None) -> tuple[bool, ...]:
    codes = {c for c in map(_code, x.formats) if c}
    access_ok, access_unchecked = _reach(x.access_urls, links)
    download_ok, download_unchecked = _reach(x.download_urls, links)
    return (x.has("download"), bool(x.formats), bool(x.media_types),
            _in_vocab(x.formats, vocab.members["file-type"]) or _iana(x.media_types),
            not codes.isdisjoint(NON_PROPRIETARY), not codes.isdisjoint(MACHINE_READABLE),
            bool(x.licences), _in_vocab(x.licences, vocab.members["licence"]),
            x.has("rights"), x.has("byte_size"), x.has("issued"), x.has("modified"),
            access_ok, download_ok, access_unchecked, download_unchecked)


class Scorer:
    """Turns facts into per-indicator shares (0..1); each distribution is evaluated once."""

    def __init__(self, facts: SourceFacts, vocab: Vocabularies) -> None:
        self.facts = facts
        self.vocab = vocab
        self._vectors: dict[Term, tuple[bool, ...]] = {}

    def vectors(self, ds: Dataset) -> list[tuple[bool, ...]]:
        out = []
        for x in ds.distributions:
            v = self._vectors.get(x)
            if v is None:
                dist = self.facts.distributions.get(x)
                if dist is None:
                    continue
                v = self._vectors[x] = _dist_vector(dist, self.vocab, self.facts.link_results)
            out.append(v)
        return out

    def shares(self, ds: Dataset) -> tuple[tuple[float, ...], frozenset[str]]:
        """Shares in INDICATORS order, and the indicators that were (partly) not checked."""
        vecs = self.vectors(ds)
        n = len(vecs)
        col = dict(zip(_DIST_COLUMNS, ([sum(c) / n for c in zip(*vecs, strict=True)] if n
                                       else [0.0] * len(_DIST_COLUMNS)), strict=True))
        for key in _DATASET_PRESENCE:
            col[key] = 1.0 if ds.has(key) else 0.0
        for key in ("issued", "modified"):
            if ds.has(key):
                col[key] = 1.0
        col["access_rights"] = 1.0 if ds.access_rights else 0.0
        col["access_rights_vocabulary"] = 1.0 if _in_vocab(ds.access_rights, self.vocab.members["access-right"]) \
            else 0.0
        col["dcat_ap_compliance"] = 1.0 if self.facts.compliance_checked and not ds.violation_count else 0.0
        unchecked = set()
        if self.facts.link_results is None:
            unchecked.update(_REACHABILITY)
        else:
            if col["_access_unchecked"]:
                unchecked.add("access_url_reachable")
            if col["_download_unchecked"]:
                unchecked.add("download_url_reachable")
        if not self.facts.compliance_checked:
            unchecked.add("dcat_ap_compliance")
        return tuple(col[k] for k in KEYS), frozenset(unchecked)

    # -- explanations, computed only for the datasets a caller actually shows ------------------

    def explain(self, key: str, ds: Dataset) -> str:
        dists = [self.facts.distributions[x] for x in ds.distributions if x in self.facts.distributions]
        vecs = self.vectors(ds)
        links = self.facts.link_results
        if key in _DATASET_PRESENCE or key == "access_rights":
            return f"no {_PROPERTY[key]}"
        if key in _REACHABILITY and links is None:
            return "not checked: no link-check results in the data directory"
        if key == "dcat_ap_compliance":
            if not self.facts.compliance_checked:
                return "not checked"
            return f"{ds.violation_count} DCAT-AP 3.0.1 violation(s): " + "; ".join(ds.violations[:3])
        if key == "access_rights_vocabulary":
            if not ds.access_rights:
                return "no dct:accessRights"
            return f"not in the EU access-right table: {_describe(ds.access_rights)}"
        if not dists:
            return (f"no {_PROPERTY[key]} on the dataset and " if key in ("issued", "modified") else "") + \
                "the dataset has no distribution"
        i = _DIST_COLUMNS.index(key)
        bad = sum(1 for v in vecs if not v[i])
        note = f"{bad} of {len(vecs)} distributions {_MISSING[key]}"
        if key in ("issued", "modified"):
            note = f"no {_PROPERTY[key]} on the dataset, and {note}"
        elif key in _REACHABILITY:
            j = _DIST_COLUMNS.index("_access_unchecked" if key == "access_url_reachable" else "_download_unchecked")
            unchecked = sum(1 for v in vecs if v[j])
            if unchecked:
                note += f" ({unchecked} not in the last link-check run)"
        elif key == "licence_vocabulary":
            members = self.vocab.members["licence"]
            other = {v for x in dists for v in x.licences if not _in_vocab([v], members)}
            if other:
                note += f"; not in the table: {_describe(other)}"
                hints = [f"<{self.vocab.licence_aliases[v.value]}> for <{v.value}>" for v in other
                         if isinstance(v, ox.NamedNode) and v.value in self.vocab.licence_aliases]
                if hints:
                    note += f" (use {'; '.join(sorted(hints)[:2])})"
        elif key == "format_vocabulary":
            other = {v for x in dists for v in x.formats if not _in_vocab([v], self.vocab.members["file-type"])}
            if other:
                note += f"; formats not in the file-type table known to Agora: {_describe(other)}"
        return note


_PROPERTY = {"keyword": "dcat:keyword", "theme": "dcat:theme", "spatial": "dct:spatial", "temporal": "dct:temporal",
             "contact_point": "dcat:contactPoint", "publisher": "dct:publisher", "access_rights": "dct:accessRights",
             "issued": "dct:issued", "modified": "dct:modified"}
_MISSING = {"download_url": "have no dcat:downloadURL", "format": "have no dct:format",
            "media_type": "have no dcat:mediaType",
            "format_vocabulary": "have neither an EU file-type format nor an IANA media type",
            "non_proprietary": "have no non-proprietary format", "machine_readable": "have no machine-readable format",
            "licence": "have no dct:license", "licence_vocabulary": "have no licence from the EU licence table",
            "rights": "have no dct:rights", "byte_size": "have no dcat:byteSize", "issued": "have no dct:issued",
            "modified": "have no dct:modified", "access_url_reachable": "have no reachable access URL",
            "download_url_reachable": "have no reachable download URL"}


def _describe(values: Iterable[Any]) -> str:
    shown = sorted(f"<{v.value}>" if isinstance(v, ox.NamedNode) else f'"{v.value}"' if isinstance(v, ox.Literal)
                   else "a blank node" for v in values)
    return ", ".join(shown[:3]) + (" ..." if len(shown) > 3 else "")


class DatasetScore:
    """One dataset's shares under given weights; points and total are derived, not stored twice."""

    __slots__ = ("term", "shares", "not_checked", "weights", "total", "title", "_scorer", "_ds")

    def __init__(self, ds: Dataset, scorer: Scorer, weights: tuple[float, ...]) -> None:
        self._ds = ds
        self._scorer = scorer
        self.term = ds.iri
        self.shares, self.not_checked = scorer.shares(ds)
        self.weights = weights
        self.total = sum(s * w for s, w in zip(self.shares, weights, strict=True))
        self.title = ""

    @property
    def dataset(self) -> str:
        return _key(self.term)

    @property
    def source(self) -> str:
        return self._scorer.facts.source

    @property
    def maximum(self) -> float:
        return sum(self.weights)

    def points(self, key: str) -> float:
        i = _INDEX[key]
        return self.shares[i] * self.weights[i]

    @property
    def rating(self) -> str:
        return rating(self.total, self.maximum)

    def dimensions(self) -> dict[str, dict[str, float]]:
        out = {d: [0.0, 0.0] for d in DIMENSIONS}
        for ind, s, w in zip(INDICATORS, self.shares, self.weights, strict=True):
            out[ind.dimension][0] += s * w
            out[ind.dimension][1] += w
        return {d: {"score": _r(v[0]), "max": _r(v[1])} for d, v in out.items()}

    def lost(self) -> list[dict[str, Any]]:
        """Indicators that lost points, the biggest loss first: what to fix."""
        rows = []
        for ind, s, w in zip(INDICATORS, self.shares, self.weights, strict=True):
            lost = w - s * w
            if lost <= 1e-9:
                continue
            rows.append({"indicator": ind.key, "label": ind.label, "dimension": ind.dimension, "points": _r(s * w),
                         "max": _r(w), "lost": _r(lost), "not_checked": ind.key in self.not_checked,
                         "detail": self._scorer.explain(ind.key, self._ds), "fix": ind.fix})
        rows.sort(key=lambda r: (-r["lost"], r["indicator"]))
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "title": self.title, "source": self.source, "score": _r(self.total),
                "max": _r(self.maximum), "rating": self.rating, "dimensions": self.dimensions(),
                "lost": self.lost(), "not_checked": sorted(self.not_checked)}


def _r(x: float) -> float:
    return round(x, 2)


# ---------------------------------------------------------------------------------------------- entry points


def _weights(weights: Mapping[str, float] | None, store: Any) -> tuple[float, ...]:
    """The data directory's weights, with the caller's `weights` (if any) on top."""
    chosen = load_weights(store.settings.data_dir)
    if weights:
        chosen.update(_check_weights(weights, "weights"))
    return tuple(chosen[k] for k in KEYS)


def _facts(store: Any, info: Any, links: LinkResults | None, compliance: bool) -> SourceFacts:
    """Facts of a whole source, cached per store generation (weights are applied afterwards)."""
    cache = store.__dict__.setdefault("_quality_facts", {})
    key = (store.generation, info.name, info.current.number, links.checked_at if links else None, compliance)
    hit = cache.get(key)
    if hit is None:
        if len(cache) > 16:
            cache.clear()
        hit = cache[key] = gather(store, info, compliance=compliance, link_results=links)
    return hit


def _scores(facts: SourceFacts, vocab: Vocabularies, weights: tuple[float, ...]) -> list[DatasetScore]:
    scorer = Scorer(facts, vocab)
    return [DatasetScore(ds, scorer, weights) for ds in facts.datasets.values()]


def _key(term: Any) -> str:
    return term.value if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _titles(store: Any, info: Any, scores: list[DatasetScore]) -> None:
    """Titles (English preferred) of the datasets a caller shows; one query for all of them."""
    iris = [s for s in scores if isinstance(s.term, ox.NamedNode)]
    if not iris:
        return
    found: dict[str, dict[str, str]] = {}
    for i in range(0, len(iris), 5000):
        values = " ".join(f"<{s.term.value}>" for s in iris[i:i + 5000])
        for d, t in store.ox.query(_TITLES % {"g": info.physical.value, "values": values}):
            found.setdefault(d.value, {})[getattr(t, "language", None) or ""] = t.value
    for s in iris:
        by_lang = found.get(s.term.value, {})
        s.title = by_lang.get("en") or by_lang.get("") or next(iter(by_lang.values()), "")


def _link_summary(links: LinkResults | None) -> dict[str, Any]:
    return {"checked": links is not None, "checked_at": links.checked_at if links else None}


def _aggregate(scores: list[DatasetScore], weights: tuple[float, ...]) -> dict[str, Any]:
    """Averages per dimension and indicator, and how many datasets fall in each rating band."""
    n = len(scores)
    maximum = sum(weights)
    ratings = {r: 0 for r in RATINGS}
    for s in scores:
        ratings[rating(s.total, maximum)] += 1
    columns = list(zip(*(s.shares for s in scores), strict=True)) if n else [() for _ in KEYS]
    dims = {d: [0.0, 0.0] for d in DIMENSIONS}
    indicators: dict[str, dict[str, Any]] = {}
    for ind, w, col in zip(INDICATORS, weights, columns, strict=True):
        avg = sum(col) * w / n if n else 0.0
        dims[ind.dimension][0] += avg
        dims[ind.dimension][1] += w
        indicators[ind.key] = {"label": ind.label, "dimension": ind.dimension, "max": _r(w), "average": _r(avg),
                               "datasets_with_full_points": col.count(1.0)}
    avg_total = sum(s.total for s in scores) / n if n else 0.0
    return {"datasets": n, "max": _r(maximum), "average": _r(avg_total), "rating": rating(avg_total, maximum),
            "ratings": ratings, "dimensions": {d: {"average": _r(v[0]), "max": _r(v[1])} for d, v in dims.items()},
            "indicators": indicators}


def dataset_quality(store: Any, iri: str, *, source: str | None = None, weights: dict[str, float] | None = None,
                    compliance: bool = True) -> dict[str, Any]:
    """Score one dataset, in the (first) source that describes it, with what to fix."""
    wt = _weights(weights, store)
    try:
        node = ox.NamedNode(iri)  # also keeps the IRI from breaking out of the query text below
    except ValueError as exc:
        raise BadInput(f"dataset: {iri!r} is not an IRI ({exc})") from None
    candidates = [store.require(source)] if source else store.sources(include_system=False)
    holders = [s for s in candidates if store.ox.query(
        f"ASK {{ GRAPH <{s.physical.value}> {{ {node} a <http://www.w3.org/ns/dcat#Dataset> }} }}")]
    if not holders:
        raise SourceNotFound(f"no dataset <{iri}> in {'source ' + repr(source) if source else 'any source'}")
    info = holders[0]
    links = load_link_results(store.settings.data_dir)
    facts = gather(store, info, dataset=node, compliance=compliance, link_results=links)
    score = _scores(facts, Vocabularies.from_store(store), wt)[0]
    _titles(store, info, [score])
    out = score.to_dict()
    out["link_check"] = _link_summary(links)
    out["compliance_profile"] = COMPLIANCE_PROFILE
    if len(holders) > 1:
        out["also_in"] = [s.name for s in holders[1:]]
    return out


def source_quality(store: Any, name: str, *, weights: dict[str, float] | None = None, compliance: bool = True,
                   include_datasets: bool = False, lowest: int = 10) -> dict[str, Any]:
    """Averages, rating distribution and weakest datasets of one source, and per catalogue in it."""
    wt = _weights(weights, store)
    info = store.require(name)
    links = load_link_results(store.settings.data_dir)
    facts = _facts(store, info, links, compliance)
    scores = _scores(facts, Vocabularies.from_store(store), wt)
    out: dict[str, Any] = {"source": info.name, "graph": info.graph_iri, **_aggregate(scores, wt)}
    by_term = {s.term: s for s in scores}
    catalogs = []
    for c, members in facts.catalogs.items():
        agg = _aggregate([by_term[m] for m in dict.fromkeys(members) if m in by_term], wt)
        catalogs.append({"catalog": _key(c), "datasets": agg["datasets"], "average": agg["average"],
                         "rating": agg["rating"], "ratings": agg["ratings"]})
    out["catalogs"] = sorted(catalogs, key=lambda c: c["catalog"])
    out["link_check"] = _link_summary(links)
    out["compliance_profile"] = COMPLIANCE_PROFILE if compliance else None
    weakest = sorted(scores, key=lambda s: (s.total, s.dataset))[:max(lowest, 0)]
    _titles(store, info, scores if include_datasets else weakest)
    out["lowest"] = [{"dataset": s.dataset, "title": s.title, "score": _r(s.total), "rating": s.rating,
                      "lost": [r["indicator"] for r in s.lost()]} for s in weakest]
    if include_datasets:
        out["datasets_detail"] = [s.to_dict() for s in sorted(scores, key=lambda s: s.dataset)]
    return out


def catalog_quality(store: Any, *, weights: dict[str, float] | None = None, compliance: bool = True) -> dict[str, Any]:
    """Every curator source's summary plus the overall figures (what a bare `agora quality` prints)."""
    wt = _weights(weights, store)
    links = load_link_results(store.settings.data_dir)
    vocab = Vocabularies.from_store(store)
    summaries, everything = [], []
    for info in store.sources(include_system=False):
        scores = _scores(_facts(store, info, links, compliance), vocab, wt)
        if not scores:
            continue
        everything.extend(scores)
        agg = _aggregate(scores, wt)
        summaries.append({"source": info.name, "graph": info.graph_iri, "datasets": agg["datasets"],
                          "average": agg["average"], "rating": agg["rating"], "ratings": agg["ratings"],
                          "dimensions": agg["dimensions"]})
    return {"sources": summaries, "overall": _aggregate(everything, wt), "link_check": _link_summary(links),
            "compliance_profile": COMPLIANCE_PROFILE if compliance else None,
            "weights": dict(zip(KEYS, wt, strict=True))}
