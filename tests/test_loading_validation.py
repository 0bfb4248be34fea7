"""Validation on load: violations block and are explained, warnings do not, stored data validates like the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from agora.kg.errors import ValidationFailed
from agora.kg.loader import load_files
from agora.kg.rdfio import RDFInput
from agora.kg.report_formats import report_json, report_text
from agora.kg.validation import register_shapes, validate_documents, validate_source

from .conftest import run_cli

pytestmark = pytest.mark.backends  # every test here runs on the embedded store and on Virtuoso

FIX = Path(__file__).parent / "fixtures" / "load"
DCAT = "http://www.w3.org/ns/dcat#"
DCT = "http://purl.org/dc/terms/"


def _keys(report):
    return sorted((r["focusNode"], r["path"], r["value"], r["severity"], r["constraintComponent"],
                   r["sourceShape"] if not str(r["sourceShape"]).startswith("n") else "")
                  for r in report_json(report)["results"])


def test_a_valid_catalog_loads_and_records_its_profile(store):
    result = load_files(store, [FIX / "valid-catalog.ttl"], name="gent")
    v = store.require("gent").current
    assert v.profile == "agora" and v.validation in ("conforms", "warnings")
    assert v.violations == 0 and result.warnings == v.warnings


def test_violations_block_the_load_and_say_focus_node_path_and_message(store):
    before = {str(q) for q in store.ox}
    with pytest.raises(ValidationFailed) as exc:
        load_files(store, [FIX / "invalid-catalog.ttl"], name="broken")
    assert exc.value.exit_code == 1
    assert {str(q) for q in store.ox} == before and store.get("broken") is None
    results = report_json(exc.value.report)["results"]
    violations = {(r["focusNode"], r["path"]) for r in results if r["severity"] == "Violation"}
    assert ("https://example.org/broken/d1", DCT + "title") in violations
    assert ("https://example.org/broken/d2", DCT + "title") in violations
    assert ("https://example.org/broken/dist1", DCAT + "accessURL") in violations
    assert ("https://example.org/broken/dist1", DCAT + "byteSize") in violations
    text = report_text(exc.value.report)
    assert "(2x, path http://purl.org/dc/terms/title)" in text  # counted per shape
    assert all(r["message"] for r in results)


def test_validating_stored_data_gives_the_same_report_as_the_file(store):
    load_files(store, [FIX / "valid-catalog.ttl"], name="gent")
    from_file = validate_documents([RDFInput.from_path(FIX / "valid-catalog.ttl")])
    stored = validate_source(store, "gent")
    assert _keys(stored) == _keys(from_file)
    # The non-canonical byte size "0042"^^xsd:nonNegativeInteger passes sh:datatype in both.
    assert not [r for r in report_json(stored)["results"] if r["path"] == DCAT + "byteSize"]


def test_custom_shapes_are_registered_and_used_for_later_loads(store, tmp_path):
    shapes = tmp_path / "title-only.ttl"
    shapes.write_text("""
@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
<urn:s> a sh:NodeShape ; sh:targetClass dcat:Dataset ;
  sh:property [ sh:path dct:title ; sh:minCount 1 ; sh:message "Needs a title" ] .
""")
    profile = register_shapes(store.settings.data_dir, [shapes])
    shapes.unlink()  # the registered copy is what counts from now on
    load_files(store, [FIX / "valid-catalog.ttl"], name="gent", profile=profile)
    assert store.require("gent").current.profile == profile
    with pytest.raises(ValidationFailed):  # the replace is checked against the recorded shapes
        load_files(store, [FIX / "invalid-catalog.ttl"], name="gent", replace=True)
    assert store.require("gent").current.number == 1


def test_cli_validate_exit_codes_and_formats(tmp_path):
    data = tmp_path / "data"
    r = run_cli("validate", str(FIX / "valid-catalog.ttl"), data_dir=data)
    assert r.returncode == 0, r.stderr
    r = run_cli("validate", str(FIX / "invalid-catalog.ttl"), data_dir=data)
    assert r.returncode == 1 and "violation" in r.stdout
    r = run_cli("validate", str(FIX / "invalid-catalog.ttl"), "--format", "json", data_dir=data)
    import json

    body = json.loads(r.stdout)
    assert body["conforms"] is False and body["counts"]["violations"] >= 4
    r = run_cli("validate", str(FIX / "invalid-catalog.ttl"), "--format", "turtle", data_dir=data)
    assert "sh:ValidationReport" in r.stdout
    r = run_cli("validate", str(FIX / "invalid-catalog.ttl"), "--format", "junit", data_dir=data)
    assert r.stdout.startswith("<?xml") and "<failure" in r.stdout
    r = run_cli("load", str(FIX / "invalid-catalog.ttl"), data_dir=data)
    assert r.returncode == 1 and "dct" not in r.stdout and "title" in r.stderr
