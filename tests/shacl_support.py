"""Test helpers for the SHACL engine: a DCAT-AP catalogue generator and result-key comparison.

The generator writes N-Triples text so the same bytes can be loaded by rdflib (for the pyshacl
oracle) and by pyoxigraph (for the engine), and so a benchmark can build large catalogues fast.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
EU = "http://publications.europa.eu/resource/authority/"
EX = "https://example.org/agora/"

REFERENCE = (Path(__file__).resolve().parents[1].parent / "shared" / "reference").resolve()
DCAT_AP_DIR = REFERENCE / "dcat-ap" / "releases" / "3.0.1" / "html"
SHACL_TESTS_DIR = REFERENCE / "shacl-tests" / "core"

THEMES = ["AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "REGI", "SOCI", "TECH", "TRAN"]
COUNTRIES = ["BEL", "DEU", "FRA", "GRC", "ITA", "NLD", "ESP"]
LANGUAGES = ["ENG", "DEU", "FRA", "NLD"]
FORMATS = ["CSV", "JSON", "XML", "RDF_TURTLE", "PDF"]
FREQUENCIES = ["ANNUAL", "MONTHLY", "DAILY", "IRREG"]
LICENCES = ["CC_BY_4_0", "CC0", "ODC_BY"]


def _iri(v: str) -> str:
    return f"<{v}>"


def _lit(v: str, dt: str | None = None, lang: str | None = None) -> str:
    esc = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    if lang:
        return f'"{esc}"@{lang}'
    if dt:
        return f'"{esc}"^^<{XSD}{dt}>'
    return f'"{esc}"'


def background_ntriples() -> str:
    """Typed controlled-vocabulary terms: what the catalogue's IRIs point at (used by sh:class)."""
    out: list[str] = []
    for name, members, cls in (
        ("data-theme", THEMES, SKOS + "Concept"),
        ("frequency", FREQUENCIES, DCT + "Frequency"),
        ("country", COUNTRIES, DCT + "Location"),
        ("language", LANGUAGES, DCT + "LinguisticSystem"),
        ("file-type", FORMATS, DCT + "MediaTypeOrExtent"),
        ("licence", LICENCES, DCT + "LicenseDocument"),
    ):
        for m in members:
            s = _iri(f"{EU}{name}/{m}")
            out.append(f"{s} {RDF_TYPE} {_iri(cls)} .")
            if cls != SKOS + "Concept":
                out.append(f"{s} {RDF_TYPE} {_iri(SKOS + 'Concept')} .")
            out.append(f"{s} <{SKOS}prefLabel> {_lit(m.title(), lang='en')} .")
    return "\n".join(out) + "\n"


def generate_catalog(n_datasets: int, *, seed: int = 7, invalid_every: int = 0) -> str:
    """N-Triples for a DCAT-AP catalogue of ``n_datasets`` datasets (~27 triples each).

    With ``invalid_every`` = k > 0, every k-th dataset gets one of a rotating set of defects
    (missing title, ill-typed byteSize, plain-string dates, duplicate titles, IRIs where
    literals are expected...), so every constraint family produces results.
    """
    rnd = random.Random(seed)
    t: list[str] = []
    add = t.append
    cat = _iri(EX + "catalog")
    add(f"{cat} {RDF_TYPE} {_iri(DCAT + 'Catalog')} .")
    add(f"{cat} <{DCT}title> {_lit('Agora demo catalogue', lang='en')} .")
    add(f"{cat} <{DCT}description> {_lit('Generated catalogue', lang='en')} .")
    add(f"{cat} <{DCT}publisher> {_iri(EX + 'agent/0')} .")
    n_agents = max(1, n_datasets // 50)
    for a in range(n_agents):
        ag = _iri(f"{EX}agent/{a}")
        add(f"{ag} {RDF_TYPE} {_iri(FOAF + 'Agent')} .")
        add(f"{ag} <{FOAF}name> {_lit(f'Agency {a}', lang='en')} .")
        add(f"{ag} <{DCT}type> {_iri(EU + 'corporate-body-type/PUB')} .")
    defect_kinds = 14
    for i in range(n_datasets):
        ds = _iri(f"{EX}dataset/{i}")
        defect = (i // invalid_every) % defect_kinds if invalid_every and i % invalid_every == 0 else -1
        add(f"{cat} <{DCAT}dataset> {ds} .")
        add(f"{ds} {RDF_TYPE} {_iri(DCAT + 'Dataset')} .")
        if defect != 0:
            add(f"{ds} <{DCT}title> {_lit(f'Dataset {i}', lang='en')} .")
        if defect == 4:
            add(f"{ds} <{DCT}title> {_lit(f'Other title {i}', lang='en')} .")
        if i % 3 == 1:
            add(f"{ds} <{DCT}title> {_lit(f'Datensatz {i}', lang='de')} .")
        if defect == 5:
            add(f"{ds} <{DCT}description> {_iri(EX + 'desc/' + str(i))} .")
        else:
            add(f"{ds} <{DCT}description> {_lit(f'Description of dataset {i}, with details.', lang='en')} .")
        add(f"{ds} <{DCT}identifier> {_lit(f'ds-{i}')} .")
        y = 2000 + rnd.randrange(24)
        if defect == 2:
            add(f"{ds} <{DCT}issued> {_lit(f'{y}-01-15')} .")
        else:
            add(f"{ds} <{DCT}issued> {_lit(f'{y}-01-15', 'date')} .")
        if defect == 3:
            add(f"{ds} <{DCT}modified> {_lit('yesterday', 'dateTime')} .")
        else:
            add(f"{ds} <{DCT}modified> {_lit(f'{y}-06-0{1 + i % 9}T12:00:00Z', 'dateTime')} .")
        for k in range(1 + i % 3):
            add(f"{ds} <{DCAT}keyword> {_lit(f'keyword{(i + k) % 97}', lang='en')} .")
        if defect == 6:
            add(f"{ds} <{DCAT}theme> {_lit('ENVI')} .")
        else:
            add(f"{ds} <{DCAT}theme> {_iri(EU + 'data-theme/' + THEMES[i % len(THEMES)])} .")
        add(f"{ds} <{DCT}publisher> {_iri(f'{EX}agent/{i % n_agents}')} .")
        if defect == 7:
            add(f"{ds} <{DCT}publisher> {_iri(f'{EX}agent/{(i + 1) % n_agents}')} .")
        if defect == 12:
            add(f"{ds} <{DCT}spatial> {_iri(EX + 'place/atlantis')} .")
        else:
            add(f"{ds} <{DCT}spatial> {_iri(EU + 'country/' + COUNTRIES[i % len(COUNTRIES)])} .")
        add(f"{ds} <{DCT}accrualPeriodicity> {_iri(EU + 'frequency/' + FREQUENCIES[i % len(FREQUENCIES)])} .")
        add(f"{ds} <{DCT}language> {_iri(EU + 'language/' + LANGUAGES[i % len(LANGUAGES)])} .")
        cp = f"_:cp{i}"
        add(f"{ds} <{DCAT}contactPoint> {cp} .")
        add(f"{cp} {RDF_TYPE} {_iri(VCARD + 'Kind')} .")
        add(f"{cp} <{VCARD}hasEmail> {_iri(f'mailto:data{i % 13}@example.org')} .")
        if i % 4 == 0:
            pt = f"_:pt{i}"
            add(f"{ds} <{DCT}temporal> {pt} .")
            add(f"{pt} {RDF_TYPE} {_iri(DCT + 'PeriodOfTime')} .")
            if defect == 8:
                add(f"{pt} <{DCAT}startDate> {_lit('2020')} .")
            else:
                add(f"{pt} <{DCAT}startDate> {_lit(f'{y}-01-01', 'date')} .")
            add(f"{pt} <{DCAT}endDate> {_lit(f'{y}', 'gYear')} .")
        n_dist = 0 if defect == 9 else 1 + (i % 5 == 0)
        for d in range(n_dist):
            di = _iri(f"{EX}dataset/{i}/dist/{d}")
            add(f"{ds} <{DCAT}distribution> {di} .")
            add(f"{di} {RDF_TYPE} {_iri(DCAT + 'Distribution')} .")
            if defect != 10:
                add(f"{di} <{DCAT}accessURL> {_iri(f'https://files.example.org/{i}/{d}')} .")
            add(f"{di} <{DCT}format> {_iri(EU + 'file-type/' + FORMATS[(i + d) % len(FORMATS)])} .")
            add(f"{di} <{DCT}license> {_iri(EU + 'licence/' + LICENCES[i % len(LICENCES)])} .")
            if defect == 2:
                add(f"{di} <{DCT}issued> {_lit(f'{y}-02-01')} .")
            elif defect == 3:
                add(f"{di} <{DCT}modified> {_lit('last week', 'date')} .")
            elif d == 0:
                add(f"{di} <{DCT}issued> {_lit(f'{y}-02-01', 'date')} .")
            if defect == 1:
                add(f"{di} <{DCAT}byteSize> {_lit('abc', 'nonNegativeInteger')} .")
            elif defect == 11:
                add(f"{di} <{DCAT}byteSize> {_lit('12', 'string')} .")
            elif defect == 13:
                add(f"{di} <{DCAT}byteSize> {_lit('-5', 'integer')} .")
            else:
                add(f"{di} <{DCAT}byteSize> {_lit(str(1000 + rnd.randrange(10**6)), 'nonNegativeInteger')} .")
    return "\n".join(t) + "\n"


def dcat_ap_shape_files(*names: str) -> list[Path]:
    return [DCAT_AP_DIR / "shacl" / n for n in names]


def dcat_ap_examples() -> list[Path]:
    """The DCAT-AP 3.0.1 Turtle examples, minus the two that are not valid Turtle upstream."""
    broken = {"example-bee-population-dataset-series-api.ttl", "example-bee-population-dataset-series-combined.ttl"}
    return sorted(p for p in (DCAT_AP_DIR / "examples").glob("*.ttl") if p.name not in broken)


def diff_keys(ours: Iterable[tuple], theirs: Iterable[tuple]) -> tuple[list[tuple], list[tuple]]:
    a, b = set(ours), set(theirs)
    return sorted(a - b, key=repr), sorted(b - a, key=repr)


def pyshacl_keys(report_graph: object) -> Counter:
    """pyshacl's results keyed like ``ValidationResult.key()`` (read from its report graph)."""
    from rdflib import BNode, Graph, Namespace

    from agora.kg.shacl.terms import node_string, term_key

    sh = Namespace("http://www.w3.org/ns/shacl#")
    g: Graph = report_graph  # type: ignore[assignment]
    out: Counter = Counter()
    for r in g.objects(None, sh.result):
        path = g.value(r, sh.resultPath)
        shape = g.value(r, sh.sourceShape)
        out[
            (
                term_key(g.value(r, sh.focusNode)),
                (node_string(g, path) if isinstance(path, BNode) else term_key(path)) if path is not None else "",
                term_key(g.value(r, sh.value)),
                str(g.value(r, sh.sourceConstraintComponent)),
                node_string(g, shape) if isinstance(shape, BNode) else term_key(shape),
                str(g.value(r, sh.resultSeverity)),
            )
        ] += 1
    return out


def run_pyshacl(data: object, shapes: object) -> tuple[bool, Counter]:
    import pyshacl

    conforms, rg, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=True)
    return bool(conforms), pyshacl_keys(rg)
