"""Validation profiles: the built-in DCAT-AP views, the DCAT-AP 2.1.1 shapes, curator-registered profiles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, Namespace
from rdflib.namespace import SH

from agora.kg import profiles
from agora.kg.errors import BadInput
from agora.kg.resources import demo_dir, ontology_files, shapes_dir, vocabulary_files

from .conftest import SHARED

DCT = Namespace("http://purl.org/dc/terms/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCAT_AP_2 = SHARED / "dcat-ap" / "releases" / "2.1.1"
DCAT_AP_PROFILES = ["dcat-ap@3.0.1", "dcat-ap-recommended@3.0.1", "dcat-ap@2.1.1", "dcat-ap-recommended@2.1.1"]

# Valid in every built-in profile: DCAT-AP 2.1.1 and 3.0.1 agree on everything used here.
MINIMAL = """
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<https://example.org/cat> a dcat:Catalog ; dct:title "Catalogue"@en ; dct:description "All of it."@en ;
    dct:publisher <https://example.org/org> ; dcat:dataset <https://example.org/ds> .
<https://example.org/org> a foaf:Organization ; foaf:name "Example city"@en .
<https://example.org/ds> a dcat:Dataset ; dct:title "Bins"@en ; dct:description "Where the bins are."@en ;
    dcat:distribution <https://example.org/dist> .
<https://example.org/dist> a dcat:Distribution ; dcat:accessURL <https://example.org/bins> .
"""


@pytest.fixture(scope="module")
def background() -> rdflib.Graph:
    g = rdflib.Graph()
    for f in [*ontology_files(), *vocabulary_files()]:
        g.parse(f)
    return g


@pytest.fixture(scope="module")
def demo() -> rdflib.Graph:
    g = rdflib.Graph()
    for f in sorted(demo_dir().glob("*.ttl")):
        g.parse(f)
    return g


def _validate(name: str, data: rdflib.Graph, background: rdflib.Graph | None, data_dir: Path | None = None):
    return profiles.validator(name, data_dir).validate_graph(data, background=background)


def _graph(text: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=text, format="turtle")


def test_builtin_profiles_are_listed_with_existing_files():
    listed = {p.name: p for p in profiles.list_profiles()}
    assert set(listed) == {"agora", *DCAT_AP_PROFILES}
    for p in listed.values():
        assert p.builtin and p.background_default and p.description
        assert all(f.is_file() for f in p.files)
    assert not listed["dcat-ap@3.0.1"].recommended and listed["dcat-ap-recommended@3.0.1"].recommended
    assert [f.name for f in listed["agora"].files] == ["dcat-ap-3.ttl", "agora.ttl"]
    assert [f.name for f in listed["dcat-ap@2.1.1"].files] == ["dcat-ap-2.ttl"]


@pytest.mark.parametrize("name", ["agora", "dcat-ap@3.0.1"])
def test_demo_catalog_has_no_violations(name, demo, background):
    report = _validate(name, demo, background)
    assert report.violations == []
    if name == "dcat-ap@3.0.1":  # mandatory and ranges only: nothing to recommend
        assert report.results == []


@pytest.mark.parametrize("example", ["example1.nt", "example2.nt"])
def test_dcat_ap_2_examples_conform(example, background):
    # example2 types its publisher foaf:Organization: accepted without loading FOAF (see dcat-ap-2.ttl).
    data = rdflib.Graph().parse(DCAT_AP_2 / "examples" / example)
    assert _validate("dcat-ap@2.1.1", data, background).results == []
    recommended = _validate("dcat-ap-recommended@2.1.1", data, background)
    assert recommended.violations == [] and recommended.warnings
    assert {r.result_path for r in recommended.warnings} >= {DCAT.keyword, DCAT.theme, DCT.spatial, DCT.temporal}


@pytest.mark.parametrize("name", ["agora", *DCAT_AP_PROFILES])
def test_a_dataset_without_description_violates_every_dcat_ap_profile(name, background):
    data = _graph(MINIMAL)
    assert _validate(name, data, background).violations == []
    data.remove((rdflib.URIRef("https://example.org/ds"), DCT.description, None))
    violations = _validate(name, data, background).violations
    assert [(str(r.focus_node), r.result_path) for r in violations] == [("https://example.org/ds", DCT.description)]
    assert "description" in str(violations[0].messages[0])


@pytest.mark.parametrize("version", ["3.0.1", "2.1.1"])
def test_recommended_profiles_only_add_warnings(version, demo, background):
    mandatory = _validate(f"dcat-ap@{version}", demo, background)
    complete = _validate(f"dcat-ap-recommended@{version}", demo, background)
    assert complete.warnings, "the demo catalog leaves some recommendations out"
    assert sorted(map(repr, (r.key() for r in complete.violations))) == \
        sorted(map(repr, (r.key() for r in mandatory.violations)))
    assert not mandatory.warnings
    bare = _graph(MINIMAL)
    assert _validate(f"dcat-ap@{version}", bare, background).results == []
    assert {r.severity for r in _validate(f"dcat-ap-recommended@{version}", bare, background).results} == {SH.Warning}


def test_mandatory_views_deactivate_copies_not_the_files():
    deactivated = set(profiles.shapes_graph("dcat-ap@3.0.1").subjects(SH.deactivated, None))
    complete = profiles.shapes_graph("dcat-ap-recommended@3.0.1")
    assert not set(complete.subjects(SH.deactivated, None))
    on_disk = rdflib.Graph().parse(shapes_dir() / "dcat-ap-3.ttl")
    recommended = {s for s in on_disk.subjects(RDF.type, None) if str(s).endswith("-recommended")}
    assert recommended and recommended <= deactivated
    assert not set(on_disk.subjects(SH.deactivated, None))
    assert profiles.shapes_graph("dcat-ap@3.0.1") is profiles.shapes_graph("dcat-ap@3.0.1")  # cached


def test_dcat_ap_2_shapes_are_core_and_self_explaining():
    g = rdflib.Graph().parse(shapes_dir() / "dcat-ap-2.ttl")
    ns = "https://w3id.org/agora/shapes/dcat-ap-2#"
    shapes = {s for s in g.subjects(RDF.type, None) if str(s).startswith(ns)}
    assert len(shapes) > 150
    for s in shapes:
        assert g.value(s, SH.name) and g.value(s, SH.message) and g.value(s, SH.severity), s
        if str(s).endswith("-recommended"):
            assert g.value(s, SH.severity) == SH.Warning, s
    assert not set(g.subjects(SH.sparql, None)) and not set(g.subjects(RDF.type, SH.SPARQLConstraint))


@pytest.mark.parametrize(("mutation", "focus", "path"), [
    ("drop-dataset-title", "https://myorg.eu/opendata/datasets/1", DCT.title),
    ("drop-catalog-publisher", "https://myorg.eu/opendata/catalog", DCT.publisher),
    ("drop-access-url", "https://myorg.eu/opendata/datasets/1/distributions/csv", DCAT.accessURL),
    ("two-dataset-publishers", "https://myorg.eu/opendata/datasets/1", DCT.publisher),
])
def test_dcat_ap_2_agrees_with_the_official_shapes(mutation, focus, path, background):
    """Break the official example the way curators do; the official shapes and ours both object, at the same place."""
    pyshacl = pytest.importorskip("pyshacl")
    data = rdflib.Graph().parse(DCAT_AP_2 / "examples" / "example1.nt")
    ds, cat = rdflib.URIRef("https://myorg.eu/opendata/datasets/1"), rdflib.URIRef("https://myorg.eu/opendata/catalog")
    if mutation == "drop-dataset-title":
        data.remove((ds, DCT.title, None))
    elif mutation == "drop-catalog-publisher":
        data.remove((cat, DCT.publisher, None))
    elif mutation == "drop-access-url":
        data.remove((None, DCAT.accessURL, None))
    else:
        data.add((ds, DCT.publisher, rdflib.URIRef("https://myorg.eu/other-publisher")))
    official = rdflib.Graph().parse(DCAT_AP_2 / "dcat-ap_2.1.1_shacl_shapes.ttl")
    conforms, report, _text = pyshacl.validate(data, shacl_graph=official)
    assert not conforms
    theirs = {(str(f), p) for r in report.subjects(SH.resultSeverity, SH.Violation)
              for f in report.objects(r, SH.focusNode) for p in report.objects(r, SH.resultPath)}
    ours = {(str(r.focus_node), r.result_path) for r in _validate("dcat-ap@2.1.1", data, background).violations}
    assert (focus, path) in theirs and (focus, path) in ours


CUSTOM = """
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://city.example/shapes#Dataset> a sh:NodeShape ; sh:targetClass dcat:Dataset ;
    sh:property [ sh:path dct:identifier ; sh:minCount 1 ; sh:severity sh:Violation ;
                  sh:message "Our city portal needs a dataset identifier (dct:identifier)." ] .
"""


def test_registered_profile_round_trip(tmp_path):
    data_dir = tmp_path / "data"
    src = tmp_path / "city-shapes.ttl"
    src.write_text(CUSTOM)
    info = profiles.register_profile(data_dir, "my-city@1.0", [src], description="City rules")
    assert not info.builtin and info.files[0].parent == data_dir / "profiles" / "named" / "my-city@1.0"
    src.unlink()  # the registered copy is what counts from now on
    listed = {p.name: p for p in profiles.list_profiles(data_dir)}
    assert listed["my-city@1.0"].description == "City rules" and listed["my-city@1.0"].background_default
    assert profiles.get_profile("my-city@1.0", data_dir).files == info.files
    report = _validate("my-city@1.0", _graph(MINIMAL), None, data_dir)
    assert [str(r.messages[0]) for r in report.violations] == ["Our city portal needs a dataset identifier "
                                                               "(dct:identifier)."]
    # Same content again: nothing changes; other content needs replace=True, and is used right away.
    src.write_text(CUSTOM)
    assert profiles.register_profile(data_dir, "my-city@1.0", [src]).registered_at == info.registered_at
    src.write_text(CUSTOM.replace("sh:minCount 1", "sh:maxCount 1"))
    with pytest.raises(BadInput, match="already registered"):
        profiles.register_profile(data_dir, "my-city@1.0", [src])
    profiles.register_profile(data_dir, "my-city@1.0", [src], replace=True)
    assert _validate("my-city@1.0", _graph(MINIMAL), None, data_dir).violations == []


@pytest.mark.parametrize("name", ["agora", "dcat-ap@3.0.1", "dcat-ap@4.0.0", "dcat-ap-recommended@2.1.1", "../x",
                                  "shapes:abc", ""])
def test_builtin_and_malformed_names_are_refused(name, tmp_path):
    src = tmp_path / "s.ttl"
    src.write_text(CUSTOM)
    with pytest.raises(BadInput):
        profiles.register_profile(tmp_path / "data", name, [src])
    assert not (tmp_path / "data" / "profiles").exists() or not any((tmp_path / "data" / "profiles").rglob("*.ttl"))


def test_broken_shapes_are_refused_before_anything_is_written(tmp_path):
    src = tmp_path / "broken.ttl"
    src.write_text("<a> <b> .")
    with pytest.raises(BadInput, match="do not parse"):
        profiles.register_profile(tmp_path / "data", "my-city@2", [src])
    assert profiles.list_profiles(tmp_path / "data") == profiles.list_profiles()
    with pytest.raises(BadInput, match="unknown profile"):
        profiles.get_profile("my-city@2", tmp_path / "data")


def test_anonymous_shapes_from_a_load_resolve_too(tmp_path):
    from agora.kg.validation import register_shapes

    src = tmp_path / "s.ttl"
    src.write_text(CUSTOM)
    name = register_shapes(tmp_path / "data", [src])
    info = profiles.get_profile(name, tmp_path / "data")
    assert not info.builtin and len(info.files) == 1
    assert profiles.validator(name, tmp_path / "data").validate_graph(_graph(MINIMAL)).violations


# ---------------------------------------------------------------------------------------------- agora profile


OFFICIAL = SHARED / "dcat-ap" / "releases" / "3.0.1" / "html" / "shacl"


def _profile_cli(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`agora profile ARGS` in a subprocess, as a user runs it (the command group on its own)."""
    code = "from agora.api.cli_profiles import profile_app; profile_app(prog_name='agora profile')"
    env = {**os.environ, "AGORA_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120)


def _documents_and_graph(text: str) -> tuple[list[object], rdflib.Graph]:
    from agora.kg.rdfio import RDFInput

    return ([RDFInput.from_bytes(text.encode(), name="data.ttl", fmt=__import__("pyoxigraph").RdfFormat.TURTLE)],
            rdflib.Graph().parse(data=text, format="turtle"))


@pytest.mark.skipif(not (OFFICIAL / "shapes.ttl").exists(), reason="reference data missing")
def test_cli_registers_the_official_shapes_and_validation_is_pyshacl_identical(tmp_path):
    from agora.kg.validation import validate_documents

    from .shacl_support import dcat_ap_examples, generate_catalog, run_pyshacl

    data_dir = tmp_path / "data"
    r = _profile_cli("add", "dcat-ap-official@3.0.1", str(OFFICIAL / "shapes.ttl"), str(OFFICIAL / "range.ttl"),
                     "--description", "The official DCAT-AP 3.0.1 shapes", data_dir=data_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "registered profile dcat-ap-official@3.0.1" in r.stdout
    r = _profile_cli("list", "--format", "json", data_dir=data_dir)
    official = {p["name"]: p for p in json.loads(r.stdout)}["dcat-ap-official@3.0.1"]
    assert official["files"] == ["00-shapes.ttl", "01-range.ttl"]
    assert not official["builtin"] and not official["background_default"]
    assert "dcat-ap-official@3.0.1" in _profile_cli("list", data_dir=data_dir).stdout

    shapes = rdflib.Graph()
    for f in ("shapes.ttl", "range.ttl"):
        shapes.parse(OFFICIAL / f)
    texts = [p.read_text() for p in dcat_ap_examples()[:4]]
    catalog = rdflib.Graph().parse(data=generate_catalog(16, invalid_every=2), format="nt")
    texts.append(catalog.serialize(format="turtle"))
    compared = 0
    for text in texts:
        docs, graph = _documents_and_graph(text)
        ours = Counter(x.key() for x in validate_documents(docs, profile="dcat-ap-official@3.0.1",
                                                           data_dir=data_dir).results)
        _conforms, theirs = run_pyshacl(graph, shapes)
        assert ours == theirs, (ours - theirs, theirs - ours)
        compared += sum(ours.values())
    assert compared > 100  # the catalog with broken records gives plenty of results to compare

    r = _profile_cli("remove", "dcat-ap-official@3.0.1", data_dir=data_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "dcat-ap-official@3.0.1" not in _profile_cli("list", data_dir=data_dir).stdout
    r = _profile_cli("remove", "dcat-ap-official@3.0.1", data_dir=data_dir)
    assert r.returncode == 2 and "no registered profile" in r.stderr
    r = _profile_cli("remove", "dcat-ap@3.0.1", data_dir=data_dir)
    assert r.returncode == 2 and "built in" in r.stderr


def test_cli_background_files_type_the_terms_the_shapes_refer_to(tmp_path):
    from agora.kg.validation import validate_documents

    data_dir = tmp_path / "data"
    shapes = tmp_path / "licences.ttl"
    shapes.write_text("""@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix dct: <http://purl.org/dc/terms/> .
        @prefix dcat: <http://www.w3.org/ns/dcat#> .
        <https://city.example/shapes#Dist> a sh:NodeShape ; sh:targetClass dcat:Distribution ;
          sh:property [ sh:path dct:license ; sh:class dct:LicenseDocument ] ,
                      [ sh:path dcat:accessURL ; sh:minCount 1 ] .""")
    vocabulary = tmp_path / "licence-table.ttl"
    vocabulary.write_text("""@prefix dct: <http://purl.org/dc/terms/> .
        <http://publications.europa.eu/resource/authority/licence/CC0> a dct:LicenseDocument .""")
    data = """@prefix dct: <http://purl.org/dc/terms/> . @prefix dcat: <http://www.w3.org/ns/dcat#> .
        @prefix licence: <http://publications.europa.eu/resource/authority/licence/> .
        <https://x.example/d1> a dcat:Distribution ; dct:license licence:CC0 .
        <https://x.example/d2> a dcat:Distribution ; dct:license <https://x.example/my-licence> ;
            dcat:accessURL <https://x.example/file> ."""
    assert _profile_cli("add", "plain@1", str(shapes), data_dir=data_dir).returncode == 0
    r = _profile_cli("add", "typed@1", str(shapes), "--background", str(vocabulary), data_dir=data_dir)
    assert r.returncode == 0 and "1 background file" in r.stdout, r.stdout + r.stderr
    assert profiles.get_profile("typed@1", data_dir).background_default

    def components(profile: str) -> set[tuple[str, str]]:
        docs, _ = _documents_and_graph(data)
        report = validate_documents(docs, profile=profile, data_dir=data_dir)
        return {(str(x.focus_node), str(x.source_constraint_component).split("#")[1]) for x in report.results}

    plain = components("plain@1")
    assert ("https://x.example/d1", "ClassConstraintComponent") in plain
    # The registered vocabulary types CC0: only that result goes; the unknown licence still fails.
    assert components("typed@1") == plain - {("https://x.example/d1", "ClassConstraintComponent")}
    assert ("https://x.example/d2", "ClassConstraintComponent") in plain

    # Stored data validated with the profile reads the same background (installed once in the store).
    from agora.kg.config import load_settings
    from agora.kg.loader import load_files
    from agora.kg.store import AgoraStore
    from agora.kg.validation import validate_source

    doc = tmp_path / "data.ttl"
    doc.write_text(data)
    store = AgoraStore(load_settings(data_dir))
    try:
        load_files(store, [doc], name="dists", profile="typed@1", validate=False)
        report = validate_source(store, "dists")
        stored = {(str(x.focus_node), str(x.source_constraint_component).split("#")[1]) for x in report.results}
        assert stored == components("typed@1")
    finally:
        store.close()


def test_a_profile_in_use_is_only_removed_with_force(tmp_path):
    from agora.kg.config import load_settings
    from agora.kg.loader import load_files
    from agora.kg.store import AgoraStore

    data_dir = tmp_path / "data"
    src = tmp_path / "city-shapes.ttl"
    src.write_text(CUSTOM)
    assert _profile_cli("add", "my-city@1.0", str(src), data_dir=data_dir).returncode == 0
    doc = tmp_path / "catalog.ttl"
    doc.write_text(MINIMAL.replace('dct:title "Bins"@en', 'dct:title "Bins"@en ; dct:identifier "bins"'))
    store = AgoraStore(load_settings(data_dir))
    try:
        load_files(store, [doc], name="city", profile="my-city@1.0")
    finally:
        store.close()
    r = _profile_cli("remove", "my-city@1.0", data_dir=data_dir)
    assert r.returncode == 2 and "city" in r.stderr, r.stdout + r.stderr
    assert _profile_cli("remove", "my-city@1.0", "--force", data_dir=data_dir).returncode == 0


def test_http_register_with_background_and_remove_with_admin_scope(tmp_path):
    from fastapi.testclient import TestClient

    from agora.api.app import create_app
    from agora.kg.config import load_settings

    app = create_app(load_settings(tmp_path / "data"), load_demo=False)
    write = app.state.ops.create_token("write")[1]
    admin = app.state.ops.create_token("admin")[1]
    with TestClient(app) as client:
        files = [("shapes", ("s.ttl", CUSTOM.encode())), ("background", ("v.ttl", b"<urn:x:a> a <urn:x:C> ."))]
        r = client.post("/api/profiles/my-city@2", files=files, headers={"Authorization": f"Bearer {write}"})
        assert r.status_code == 200, r.text
        assert r.json()["background_files"] == ["bg-00-01-v.ttl"] and r.json()["background_default"]
        assert client.delete("/api/profiles/my-city@2", headers={"Authorization": f"Bearer {write}"}).status_code == 403
        r = client.delete("/api/profiles/my-city@2", headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200, r.text
        assert "my-city@2" not in {p["name"] for p in client.get("/api/profiles").json()}
