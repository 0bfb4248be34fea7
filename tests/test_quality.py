"""Metadata quality: MQA points per indicator and dimension, what to fix, weights, link checks, API and CLI.

Expected points are worked out by hand from the MQA rules (data.europa.eu methodology), not taken
from the code: findability 30/30/20/20, accessibility 50/20/30, interoperability 20/10/10/20/20/30,
reusability 20/10/10/5/20/10, contextuality 5/5/5/5; distribution indicators averaged.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from agora.kg import quality
from agora.kg.errors import BadInput, SourceNotFound
from agora.kg.loader import load_files

EU = "http://publications.europa.eu/resource/authority/"
PREFIXES = f"""
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> . @prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix eu: <{EU}> .
<https://example.org/org> a foaf:Organization ; foaf:name "Example city"@en ;
    dct:type <http://purl.org/adms/publishertype/LocalAuthority> .
"""
PERFECT = PREFIXES + f"""
<https://example.org/contact> a vcard:Kind ; vcard:fn "Open data desk"@en ; vcard:hasEmail <mailto:data@example.org> .
<https://example.org/perfect> a dcat:Dataset ; dct:title "Air quality"@en ; dct:description "Hourly NO2."@en ;
    dcat:keyword "air"@en ; dcat:theme <{EU}data-theme/ENVI> ; dct:spatial <{EU}country/DNK> ;
    dct:temporal [ a dct:PeriodOfTime ; dcat:startDate "2020-01-01"^^xsd:date ] ;
    dct:accessRights <{EU}access-right/PUBLIC> ; dcat:contactPoint <https://example.org/contact> ;
    dct:publisher <https://example.org/org> ; dct:issued "2020-01-02"^^xsd:date ;
    dct:modified "2024-05-01"^^xsd:date ; dcat:distribution <https://example.org/perfect/csv> .
<https://example.org/perfect/csv> a dcat:Distribution ; dcat:accessURL <https://files.example.org/air> ;
    dcat:downloadURL <https://files.example.org/air.csv> ; dct:format <{EU}file-type/CSV> ;
    dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
    dct:license <{EU}licence/CC_BY_4_0> ; dct:rights <https://example.org/rights> ;
    dcat:byteSize "1024"^^xsd:nonNegativeInteger .
"""
# Keyword and publisher only; two distributions that each do half of what MQA asks.
MIXED = PREFIXES + f"""
<https://creativecommons.org/licenses/by/4.0/> a dct:LicenseDocument .
<https://example.org/mixed> a dcat:Dataset ; dct:title "Budget"@en ; dct:description "The budget."@en ;
    dcat:keyword "budget"@en ; dct:publisher <https://example.org/org> ; dct:modified "2024-05-01"^^xsd:date ;
    dcat:distribution <https://example.org/mixed/xlsx> , <https://example.org/mixed/pdf> .
<https://example.org/mixed/xlsx> a dcat:Distribution ; dcat:accessURL <https://files.example.org/budget> ;
    dcat:downloadURL <https://files.example.org/budget.xlsx> ; dct:format <{EU}file-type/XLSX> ;
    dct:license <{EU}licence/CC_BY_4_0> .
<https://example.org/mixed/pdf> a dcat:Distribution ; dcat:accessURL <https://files.example.org/budget-pdf> ;
    dct:format <{EU}file-type/PDF> ; dcat:mediaType <https://www.iana.org/assignments/media-types/application/pdf> ;
    dct:license <https://creativecommons.org/licenses/by/4.0/> ; dcat:byteSize "2048"^^xsd:nonNegativeInteger .
"""
BARE = PREFIXES + """
<https://example.org/bare> a dcat:Dataset ; dct:title "Something"@en ; dct:description "Some data."@en .
"""
LINKS_OK = {"https://files.example.org/air": (True, 200), "https://files.example.org/air.csv": (True, 200)}


def _load(store, tmp_path: Path, name: str, text: str, validate: bool = True) -> None:
    path = tmp_path / f"{name}.ttl"
    path.write_text(text)
    load_files(store, [path], name=name, validate=validate, user="test")


def _points(result: dict) -> dict[str, float]:
    return {d: v["score"] for d, v in result["dimensions"].items()}


def test_a_perfect_dataset_scores_405(store, tmp_path):
    _load(store, tmp_path, "perfect", PERFECT)
    quality.save_link_results(store.settings.data_dir, LINKS_OK)
    r = quality.dataset_quality(store, "https://example.org/perfect")
    assert _points(r) == {"findability": 30 + 30 + 20 + 20, "accessibility": 50 + 20 + 30,
                          "interoperability": 20 + 10 + 10 + 20 + 20 + 30, "reusability": 20 + 10 + 10 + 5 + 20 + 10,
                          "contextuality": 5 + 5 + 5 + 5}
    assert (r["score"], r["max"], r["rating"]) == (405, 405, "excellent")
    assert r["lost"] == [] and r["not_checked"] == [] and r["link_check"]["checked"]
    assert r["title"] == "Air quality" and r["source"] == "perfect"


def test_reachability_is_not_checked_without_a_link_check_run(store, tmp_path):
    _load(store, tmp_path, "perfect", PERFECT)
    r = quality.dataset_quality(store, "https://example.org/perfect")
    assert r["dimensions"]["accessibility"]["score"] == 20  # only "download URL given"
    assert (r["score"], r["rating"]) == (405 - 50 - 30, "good")
    assert r["not_checked"] == ["access_url_reachable", "download_url_reachable"]
    lost = {x["indicator"]: x for x in r["lost"]}
    assert set(lost) == {"access_url_reachable", "download_url_reachable"}
    assert lost["access_url_reachable"]["not_checked"] and "not checked" in lost["access_url_reachable"]["detail"]
    # A run that did not reach the download URL: checked, and the points stay lost.
    quality.save_link_results(store.settings.data_dir, {"https://files.example.org/air": (True, 200),
                                                        "https://files.example.org/air.csv": (False, 404)})
    r = quality.dataset_quality(store, "https://example.org/perfect")
    assert r["dimensions"]["accessibility"]["score"] == 50 + 20 and r["not_checked"] == []


def test_distribution_indicators_are_averaged(store, tmp_path):
    _load(store, tmp_path, "mixed", MIXED)
    r = quality.dataset_quality(store, "https://example.org/mixed")
    assert _points(r) == {
        "findability": 30,                                  # keywords only
        "accessibility": 0 + 20 / 2 + 0,                    # one of two distributions has a download URL
        "interoperability": 20 + 10 / 2 + 10 + 0 + 20 / 2 + 30,  # XLSX machine-readable, PDF neither
        "reusability": 20 + 10 / 2 + 0 + 0 + 0 + 10,        # one licence from the EU table
        "contextuality": 0 + 5 / 2 + 0 + 5,                 # one byte size; modified on the dataset
    }
    assert (r["score"], r["rating"]) == (157.5, "sufficient")
    lost = {x["indicator"]: x for x in r["lost"]}
    assert lost["licence_vocabulary"]["detail"].startswith("1 of 2 distributions")
    assert f"<{EU}licence/CC_BY_4_0> for <https://creativecommons.org/licenses/by/4.0/>" in \
        lost["licence_vocabulary"]["detail"]
    assert "1 of 2 distributions have no non-proprietary" not in lost["non_proprietary"]["detail"]
    assert lost["non_proprietary"]["detail"] == "2 of 2 distributions have no non-proprietary format"


def test_a_bare_dataset_scores_low_and_says_what_to_fix(store, tmp_path):
    _load(store, tmp_path, "bare", BARE)
    r = quality.dataset_quality(store, "https://example.org/bare")
    assert (r["score"], r["rating"]) == (30, "bad")  # only DCAT-AP compliance: title and description are there
    lost = {x["indicator"]: x for x in r["lost"]}
    assert len(lost) == len(quality.INDICATORS) - 1 and "dcat_ap_compliance" not in lost
    assert [x["indicator"] for x in r["lost"][:2]] == ["access_url_reachable", "download_url_reachable"]
    assert lost["keyword"]["detail"] == "no dcat:keyword" and "dcat:keyword" in lost["keyword"]["fix"]
    assert lost["licence"]["detail"] == "the dataset has no distribution"
    assert all(x["fix"] and x["lost"] == x["max"] for x in r["lost"])


def test_dcat_ap_violations_cost_the_compliance_points(store, tmp_path):
    broken = PREFIXES + """
<https://example.org/nameless> a foaf:Organization .
<https://example.org/good> a dcat:Dataset ; dct:title "Good"@en ; dct:description "Fine."@en .
<https://example.org/no-url> a dcat:Dataset ; dct:title "No URL"@en ; dct:description "Broken."@en ;
    dcat:distribution <https://example.org/no-url/d> .
<https://example.org/no-url/d> a dcat:Distribution ; dct:title "A file"@en .
<https://example.org/bad-publisher> a dcat:Dataset ; dct:title "Who?"@en ; dct:description "Anonymous."@en ;
    dct:publisher <https://example.org/nameless> .
"""
    _load(store, tmp_path, "broken", broken, validate=False)
    r = quality.source_quality(store, "broken", include_datasets=True)
    compliance = {d["dataset"].rsplit("/", 1)[1]: d["dimensions"]["interoperability"]["score"]
                  for d in r["datasets_detail"]}
    assert compliance == {"good": 30, "no-url": 0, "bad-publisher": 0}
    details = {d["dataset"].rsplit("/", 1)[1]: {x["indicator"]: x["detail"] for x in d["lost"]}
               for d in r["datasets_detail"]}
    assert "accessURL" in details["no-url"]["dcat_ap_compliance"]
    assert "<https://example.org/nameless>" in details["bad-publisher"]["dcat_ap_compliance"]
    assert r["indicators"]["dcat_ap_compliance"]["datasets_with_full_points"] == 1


def test_custom_weights_change_the_score(store, tmp_path):
    _load(store, tmp_path, "perfect", PERFECT)
    default = quality.dataset_quality(store, "https://example.org/perfect")
    (store.settings.data_dir / "agora.toml").write_text("[quality_weights]\nkeyword = 60\naccess_url_reachable = 0\n")
    custom = quality.dataset_quality(store, "https://example.org/perfect")
    assert custom["max"] == 405 + 30 - 50
    assert custom["score"] == 405 + 30 - 50 - 30  # only the unchecked download URL is missing
    assert custom["dimensions"]["findability"]["score"] == 130 and default["score"] == 325
    assert (default["rating"], custom["rating"]) == ("good", "excellent")  # bands scale with the maximum
    explicit = quality.dataset_quality(store, "https://example.org/perfect", weights={"contact_point": 0})
    assert explicit["score"] == custom["score"] - 20 and explicit["max"] == custom["max"] - 20  # on top of agora.toml
    (store.settings.data_dir / "agora.toml").write_text("[quality_weights]\nkeywords = 10\n")
    with pytest.raises(BadInput, match="unknown quality indicator 'keywords'"):
        quality.dataset_quality(store, "https://example.org/perfect")
    (store.settings.data_dir / "agora.toml").unlink()
    with pytest.raises(BadInput, match=">= 0"):
        quality.dataset_quality(store, "https://example.org/perfect", weights={"keyword": -1})


def test_default_weights_are_the_mqa_ones():
    w = quality.load_weights(None)
    by_dim: dict[str, float] = {}
    for ind in quality.INDICATORS:
        by_dim[ind.dimension] = by_dim.get(ind.dimension, 0) + w[ind.key]
    assert by_dim == {"findability": 100, "accessibility": 100, "interoperability": 110, "reusability": 75,
                      "contextuality": 20}
    assert [quality.rating(x, 405) for x in (405, 351, 350, 221, 220, 121, 120, 0)] == \
        ["excellent", "excellent", "good", "good", "sufficient", "sufficient", "bad", "bad"]


def test_demo_catalog_averages(demo_store):
    r = quality.catalog_quality(demo_store)
    by_source = {s["source"]: s for s in r["sources"]}
    assert {k: v["datasets"] for k, v in by_source.items()} == {
        "amsterdam": 20, "antwerp": 19, "copenhagen": 30, "florence": 18, "malmo": 18}
    overall = r["overall"]
    assert overall["datasets"] == 105 and sum(overall["ratings"].values()) == 105
    weighted = sum(s["average"] * s["datasets"] for s in r["sources"]) / 105
    assert overall["average"] == pytest.approx(weighted, abs=0.01)
    assert 121 <= overall["average"] <= 350  # without a link check nothing reaches "excellent"
    assert overall["ratings"]["excellent"] == 0 and not r["link_check"]["checked"]
    assert overall["indicators"]["dcat_ap_compliance"]["datasets_with_full_points"] == 105
    assert overall["indicators"]["access_url_reachable"]["average"] == 0
    assert sum(d["average"] for d in overall["dimensions"].values()) == pytest.approx(overall["average"], abs=0.05)
    cph = quality.source_quality(demo_store, "copenhagen", lowest=3)
    assert {c["catalog"].rsplit("/", 2)[1]: c["datasets"] for c in cph["catalogs"]} == \
        {"copenhagen": 24, "albertslund": 6}
    assert len(cph["lowest"]) == 3 and cph["lowest"][0]["score"] <= cph["lowest"][-1]["score"]
    assert all(d["title"] for d in cph["lowest"])


def test_unknown_dataset_or_source(store):
    with pytest.raises(SourceNotFound):
        quality.dataset_quality(store, "https://example.org/nowhere")
    with pytest.raises(SourceNotFound):
        quality.source_quality(store, "nowhere")
    with pytest.raises(BadInput, match="not an IRI"):
        quality.dataset_quality(store, "https://example.org/x> } }")


def test_http_api(store, settings, tmp_path):
    from fastapi.testclient import TestClient

    from agora.api.app import create_app
    from agora.api.routes_quality import profiles_router, router

    _load(store, tmp_path, "perfect", PERFECT)
    app = create_app(settings, store=store, load_demo=False)
    paths = {getattr(r, "path", "") for r in app.routes}
    if "/api/quality" not in paths:  # until app.py includes the routers
        app.include_router(router)
        app.include_router(profiles_router)
    with TestClient(app) as client:
        one = client.get("/api/quality", params={"dataset": "https://example.org/perfect"})
        assert one.status_code == 200 and one.json()["score"] == 325
        src = client.get("/api/quality", params={"source": "perfect", "datasets": "true"}).json()
        assert src["datasets"] == 1 and src["datasets_detail"][0]["dataset"] == "https://example.org/perfect"
        everything = client.get("/api/quality").json()
        assert [s["source"] for s in everything["sources"]] == ["perfect"]
        assert client.get("/api/quality", params={"dataset": "https://example.org/none"}).status_code == 404
        assert client.get("/api/quality", params={"source": "none"}).status_code == 404
        assert "dcat-ap@2.1.1" in {p["name"] for p in client.get("/api/profiles").json()}


def test_cli(demo_dir, tmp_path):
    import typer
    from typer.testing import CliRunner

    from agora.api.cli_quality import quality_command

    data = tmp_path / "data"
    shutil.copytree(demo_dir, data)
    app = typer.Typer()
    app.command("quality")(quality_command)
    app.command("other")(lambda: None)  # keep "quality" a subcommand, as in the real CLI
    runner = CliRunner()
    res = runner.invoke(app, ["quality", "--data-dir", str(data)])
    assert res.exit_code == 0, res.output
    assert "amsterdam" in res.output and "105" in res.output and "not checked" in res.output
    res = runner.invoke(app, ["quality", "--source", "malmo", "--format", "json", "--data-dir", str(data)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["datasets"] == 18
    iri = json.loads(res.output)["lowest"][0]["dataset"]
    res = runner.invoke(app, ["quality", "--dataset", iri, "--data-dir", str(data)])
    assert res.exit_code == 0 and "What to fix" in res.output
    res = runner.invoke(app, ["quality", "--source", "nowhere", "--data-dir", str(data)])
    assert res.exit_code == 2


# ---------------------------------------------------------------------------------------------- link checks


class _Site:
    """A real HTTP server on 127.0.0.1: /ok, /missing (404), /nohead (405 to HEAD), /slow, /redirect, /wait."""

    def __init__(self) -> None:
        import http.server
        import threading

        site = self
        self.requests: list[tuple[str, str, float]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                with site.lock:
                    site.requests.append((self.command, self.path, time.monotonic()))
                    site.in_flight += 1
                    site.max_in_flight = max(site.max_in_flight, site.in_flight)
                try:
                    path = self.path.split("?")[0]
                    if path == "/slow":
                        time.sleep(3)
                    if path == "/wait":
                        time.sleep(0.3)
                    if path == "/nohead" and self.command == "HEAD":
                        code = 405
                    elif path == "/nohead":
                        code = 206 if self.headers.get("Range") == "bytes=0-0" else 200
                    elif path == "/missing":
                        code = 404
                    elif path == "/redirect":
                        code = 302
                    else:
                        code = 200
                    self.send_response(code)
                    if code == 302:
                        self.send_header("Location", "/ok")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                finally:
                    with site.lock:
                        site.in_flight -= 1

            do_HEAD = _answer  # noqa: N815
            do_GET = _answer  # noqa: N815

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def site():
    s = _Site()
    yield s
    s.close()


def test_link_checker_statuses_timeouts_and_the_address_guard(site):
    from agora.kg.linkcheck import LinkChecker, LinkCheckOptions

    options = LinkCheckOptions(concurrency=4, per_host_interval=0.0, connect_timeout=1, read_timeout=0.5)
    urls = [f"{site.base}/{p}" for p in ("ok", "missing", "nohead", "slow", "redirect")]
    with LinkChecker(["127.0.0.1"], options) as checker:
        started = time.monotonic()
        results = {r.url.rsplit("/", 1)[1]: r for r in checker.check_all(urls)}
        assert time.monotonic() - started < 2.5  # the slow URL timed out, nobody waited 3 s
        refused = checker.check("http://10.255.255.1/private")  # private and not allowed: never contacted
    assert (results["ok"].status, results["ok"].ok, results["ok"].method) == (200, True, "HEAD")
    assert (results["missing"].status, results["missing"].ok) == (404, False)
    assert (results["nohead"].status, results["nohead"].ok, results["nohead"].method) == (206, True, "GET")
    assert (results["redirect"].status, results["redirect"].ok) == (302, True)  # 3xx counts, not followed
    assert results["slow"].status is None and not results["slow"].ok and "timed out" in results["slow"].error
    assert not refused.ok and refused.status is None and refused.error.startswith("refused")
    assert ("GET", "/ok") not in {(m, p) for m, p, _ in site.requests}  # HEAD sufficed, redirect not followed
    # Without the host on the allowlist, loopback is refused too and the server sees nothing.
    before = len(site.requests)
    with LinkChecker([], options) as checker:
        r = checker.check(f"{site.base}/ok")
    assert not r.ok and r.error.startswith("refused") and len(site.requests) == before


def test_link_checks_are_rate_limited_per_host_and_concurrency_bounded(site):
    from agora.kg.linkcheck import LinkChecker, LinkCheckOptions

    started = time.monotonic()
    with LinkChecker(["127.0.0.1"], LinkCheckOptions(concurrency=8, per_host_interval=0.15)) as checker:
        checker.check_all([f"{site.base}/ok?{i}" for i in range(5)])
    arrivals = sorted(t for _, _, t in site.requests)
    # The k-th request may leave no sooner than k intervals after the first, so it cannot reach the server
    # (same process, same clock) earlier than that. A lower bound: a busy machine can only delay arrivals,
    # which made the gaps between arrivals a flaky measure; eight unthrottled requests arrive at once.
    assert len(arrivals) == 5
    assert all(t - started >= k * 0.15 - 0.001 for k, t in enumerate(arrivals)), [t - started for t in arrivals]
    site.requests.clear()
    with LinkChecker(["127.0.0.1"], LinkCheckOptions(concurrency=2, per_host_interval=0.0)) as checker:
        checker.check_all([f"{site.base}/wait?{i}" for i in range(6)])
    assert site.max_in_flight == 2 and len(site.requests) == 6


def _linked_catalog(base: str) -> str:
    return PREFIXES + f"""
<https://example.org/linked> a dcat:Dataset ; dct:title "Linked"@en ; dct:description "Links."@en ;
    dcat:distribution <https://example.org/linked/a> , <https://example.org/linked/b> .
<https://example.org/linked/a> a dcat:Distribution ; dcat:accessURL <{base}/ok> ; dcat:downloadURL <{base}/missing> .
<https://example.org/linked/b> a dcat:Distribution ; dcat:accessURL <{base}/nohead> ;
    dcat:downloadURL <http://10.255.255.1/data.csv> .
"""


def test_cli_linkcheck_feeds_the_reachability_scores(tmp_path, site):
    from agora.kg.config import load_settings
    from agora.kg.opsdb import OpsDB
    from agora.kg.store import AgoraStore

    from .conftest import run_cli

    data_dir = tmp_path / "data"
    store = AgoraStore(load_settings(data_dir))
    try:
        _load(store, tmp_path, "linked", _linked_catalog(site.base), validate=False)
    finally:
        store.close()
    env = {"AGORA_ALLOW_HOSTS": "127.0.0.1"}
    before = json.loads(run_cli("quality", "--dataset", "https://example.org/linked", "--format", "json",
                                data_dir=data_dir, env=env).stdout)
    assert set(before["not_checked"]) >= {"access_url_reachable", "download_url_reachable"}
    r = run_cli("quality", "linkcheck", "--source", "linked", "--limit", "3", "--per-host-interval", "0",
                data_dir=data_dir, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "checked 3 of 4 URLs" in r.stdout and "1 left" in r.stdout
    r = run_cli("quality", "linkcheck", "--source", "linked", "--format", "json", "--per-host-interval", "0",
                data_dir=data_dir, env=env)
    summary = json.loads(r.stdout)
    assert (summary["checked"], summary["reachable"], summary["refused"]) == (4, 2, 1)
    rows = OpsDB(data_dir / "ops.sqlite").link_checks()
    assert rows[f"{site.base}/missing"]["status"] == 404 and rows[f"{site.base}/ok"]["ok"]
    assert rows["http://10.255.255.1/data.csv"]["error"].startswith("refused") and rows[f"{site.base}/ok"]["checked_at"]
    after = json.loads(run_cli("quality", "--dataset", "https://example.org/linked", "--format", "json",
                               data_dir=data_dir, env=env).stdout)
    # Both distributions have a reachable access URL (50 points); neither download URL answered 2xx/3xx.
    assert after["not_checked"] == [] or "dcat_ap_compliance" in after["not_checked"]
    points = {x["indicator"]: x for x in after["lost"]}
    assert "access_url_reachable" not in points
    assert points["download_url_reachable"]["points"] == 0 and not points["download_url_reachable"]["not_checked"]
    assert after["dimensions"]["accessibility"]["score"] == 50 + 20


def test_http_linkcheck_needs_an_admin_token(tmp_path, site):
    from fastapi.testclient import TestClient

    from agora.api.app import create_app
    from agora.kg.config import load_settings

    settings = load_settings(tmp_path / "data", allow_hosts=["127.0.0.1"])
    app = create_app(settings, load_demo=False)
    write = app.state.ops.create_token("write")[1]
    admin = app.state.ops.create_token("admin")[1]
    with TestClient(app) as client:
        _load(app.state.store, tmp_path, "linked", _linked_catalog(site.base), validate=False)
        assert client.post("/api/quality/linkcheck").status_code == 401
        r = client.post("/api/quality/linkcheck", headers={"Authorization": f"Bearer {write}"})
        assert r.status_code == 403
        r = client.post("/api/quality/linkcheck", params={"source": "linked", "per_host_interval": 0},
                        headers={"Authorization": f"Bearer {admin}"})
        assert r.status_code == 200, r.text
        assert (r.json()["checked"], r.json()["reachable"], r.json()["refused"]) == (4, 2, 1)
        q = client.get("/api/quality", params={"dataset": "https://example.org/linked"}).json()
        assert q["link_check"]["checked"] and q["dimensions"]["accessibility"]["score"] == 70
