"""The validation service for interoperability testers: registered official shapes, stored data, URLs."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pyshacl
import pytest
import rdflib
from fastapi.testclient import TestClient

from agora.api.app import create_app
from agora.kg.config import load_settings

from .conftest import SHARED

OFFICIAL = SHARED / "dcat-ap" / "releases" / "3.0.1" / "html" / "shacl"
EXAMPLE = SHARED / "dcat-ap" / "releases" / "3.0.1" / "html" / "examples" / "example-bee-population-dataset.ttl"
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")


def _app(tmp_path: Path, **settings: object) -> tuple[TestClient, str]:
    app = create_app(load_settings(tmp_path / "data", **settings), load_demo=False)
    return TestClient(app), app.state.ops.create_token("write")[1]


def test_registered_official_shapes_give_pyshacl_identical_reports(tmp_path):
    example = EXAMPLE if EXAMPLE.exists() else sorted((EXAMPLE.parent).glob("*.ttl"))[0]
    broken = example.read_text() + "\n<urn:x:broken> a <http://www.w3.org/ns/dcat#Dataset> .\n"
    client, token = _app(tmp_path)
    with client:
        files = [("shapes", (f, (OFFICIAL / f).read_bytes())) for f in ("shapes.ttl", "range.ttl")]
        auth = {"Authorization": f"Bearer {token}"}
        r = client.post("/api/profiles/official-dcat-ap@3.0.1", files=files, headers=auth)
        assert r.status_code == 200, r.text
        assert client.post("/api/profiles/x@1", files=files).status_code == 401
        r = client.post("/validate?profile=official-dcat-ap@3.0.1&format=json", content=broken.encode(),
                        headers={"Content-Type": "text/turtle"})
        assert r.status_code == 200, r.text
        ours = {(x["focusNode"], x["path"], x["severity"], x["constraintComponent"]) for x in r.json()["results"]}
    shapes = rdflib.Graph()
    for f in ("shapes.ttl", "range.ttl"):
        shapes.parse(OFFICIAL / f)
    _c, report, _t = pyshacl.validate(rdflib.Graph().parse(data=broken, format="turtle"), shacl_graph=shapes,
                                      inference="none")
    theirs = {(str(report.value(n, SH.focusNode)), str(report.value(n, SH.resultPath)),
               str(report.value(n, SH.resultSeverity)).removeprefix(str(SH)),
               str(report.value(n, SH.sourceConstraintComponent)).removeprefix(str(SH)))
              for n in report.subjects(rdflib.RDF.type, SH.ValidationResult)}
    assert ours == theirs and any(focus == "urn:x:broken" for focus, *_ in ours)


@pytest.fixture
def file_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "catalog.ttl").write_text('<urn:x:d> a <http://www.w3.org/ns/dcat#Dataset> .\n')
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(root))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/catalog.ttl"
    server.shutdown()


def test_validation_by_url_only_for_allowed_hosts(tmp_path, file_server):
    client, _ = _app(tmp_path)
    with client:
        r = client.post("/validate", params={"url": file_server, "format": "json"})
        assert r.status_code == 403 and "allow_hosts" in r.json()["message"]
    client, _ = _app(tmp_path / "second", allow_hosts=["127.0.0.1"])
    with client:
        r = client.post("/validate", params={"url": file_server, "format": "json", "profile": "dcat-ap@3.0.1"})
        assert r.status_code == 200, r.text
        assert any(x["focusNode"] == "urn:x:d" and x["severity"] == "Violation" for x in r.json()["results"])
