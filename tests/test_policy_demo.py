"""The demo catalog's policies decide as data/policies.ttl documents: engine, catalog helpers, HTTP API, CLI."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agora.api.cli_policy import policy_app
from agora.kg.policy import (
    DENY,
    NOT_APPLICABLE,
    PERMIT,
    check,
    decision_dict,
    explain,
    filter_usable,
    find_conflicts,
    usable_datasets,
    use_case_flows,
)
from agora.kg.store import AgoraStore

from .conftest import demo_settings

ORG = "https://agora.example.org/id/org/"
POLICY = "https://agora.example.org/id/policy/"
USECASE = "https://agora.example.org/id/usecase/"
ODRL = "http://www.w3.org/ns/odrl/2/"


def ds(city: str, name: str) -> str:
    return f"https://agora.example.org/id/{city}/dataset/{name}"


TRIPS = ds("antwerp", "deelsteps-ritten")


pytestmark = pytest.mark.backends  # every test here runs on the embedded store and on Virtuoso


@pytest.fixture(scope="module")
def demo(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory, backend: str,
         request: pytest.FixtureRequest) -> Iterator[AgoraStore]:
    """One demo store for the module: these tests only read, and the engine's caches live with the store."""
    target = tmp_path_factory.mktemp("policy-demo") / "data"
    store = AgoraStore(demo_settings(backend, demo_dir, target, request))
    yield store
    store.close()

DOCUMENTED = [  # the decision cases listed at the top of data/policies.ttl
    ("stad-antwerpen", "odrl:use", TRIPS, "purpose:urban-planning", None, PERMIT),
    ("adpulse-media", "odrl:use", TRIPS, "purpose:marketing", None, DENY),
    ("stad-antwerpen", "odrl:use", TRIPS, "purpose:marketing", None, DENY),
    ("adpulse-media", "odrl:use", TRIPS, "purpose:urban-planning", None, NOT_APPLICABLE),
    ("kobenhavns-kommune", "odrl:use", ds("copenhagen", "fjernvarme-forbrug"), None, "2026-06-01", PERMIT),
    ("kobenhavns-kommune", "odrl:use", ds("copenhagen", "fjernvarme-forbrug"), None, "2028-01-15", NOT_APPLICABLE),
    ("gemeente-amsterdam", "odrl:use", ds("amsterdam", "netbelasting-wijk"), "purpose:urban-planning", None, PERMIT),
    ("gemeente-amsterdam", "odrl:distribute", ds("amsterdam", "netbelasting-wijk"), "purpose:urban-planning", None,
     DENY),
    ("albertslund-kommune", "odrl:use", ds("copenhagen", "oversvoemmelsesrisiko"), None, None, PERMIT),
    ("malmo-stad", "odrl:use", ds("copenhagen", "oversvoemmelsesrisiko"), None, None, NOT_APPLICABLE),
]


@pytest.mark.parametrize(("party", "action", "target", "purpose", "at", "expected"), DOCUMENTED)
def test_documented_decisions(demo: Any, party: str, action: str, target: str, purpose: str | None,
                              at: str | None, expected: str) -> None:
    assert check(demo, ORG + party, action, target, purpose, at).decision == expected


def test_e_scooter_explanations(demo: Any) -> None:
    permit = explain(demo, check(demo, ORG + "stad-antwerpen", "odrl:use", TRIPS, "purpose:urban-planning"))
    assert permit["decided_by"][0]["policy"] == POLICY + "voltway-trip-data"
    assert permit["decided_by"][0]["rule"] == "policy:voltway-trip-data permission #1"
    assert permit["labels"][ORG + "stad-antwerpen"] == "City of Antwerp"
    deny = explain(demo, check(demo, ORG + "adpulse-media", "odrl:use", TRIPS, "purpose:marketing"))
    assert deny["decided_by"][0]["kind"] == "prohibition"
    prohibition = next(r for r in deny["rules"] if r["kind"] == "prohibition")
    assert prohibition["constraints"][0]["value"] == ["https://w3id.org/agora/purpose/marketing"]
    assert prohibition["constraints"][0]["holds"] is True
    permission = next(r for r in deny["rules"] if r["kind"] == "permission")
    assert permission["applies"] is False
    assert [p["holds"] for p in permission["premises"] if p["kind"] == "party"] == [False]


def test_failed_deadline_is_explained_with_values(demo: Any) -> None:
    body = decision_dict(check(demo, ORG + "kobenhavns-kommune", "odrl:use", ds("copenhagen",
                                                                                      "fjernvarme-forbrug"),
                               at="2028-01-15"))
    leaf = body["rules"][0]["constraints"][0]
    assert (leaf["left"], leaf["operator"], leaf["right"], leaf["holds"]) == (
        ODRL + "dateTime", ODRL + "lteq", ["2027-12-31"], False)
    assert leaf["value"] == ["2028-01-15T12:00:00Z"] and leaf["value_from"] == "request"
    assert "2027-12-31" in body["summary"]


def test_distribution_ban_is_a_conflict_under_the_default_strategy(demo: Any) -> None:
    body = decision_dict(check(demo, ORG + "gemeente-amsterdam", "odrl:distribute",
                               ds("amsterdam", "netbelasting-wijk"), "purpose:urban-planning"))
    assert body["conflict"]["strategy"] == ODRL + "invalid" and "void" in body["summary"]
    use = decision_dict(check(demo, ORG + "gemeente-amsterdam", "odrl:use", ds("amsterdam", "netbelasting-wijk"),
                              "purpose:urban-planning"))
    assert any("odrl:distribute stays prohibited" in c for c in use["caveats"])


@pytest.mark.parametrize(("party", "target", "purpose", "duty"), [
    ("twinworks", ds("copenhagen", "lokalplaner"), None, "credit agent:kobenhavns-kommune"),
    ("uantwerpen", ds("antwerp", "de-lijn-reizigers"), "purpose:scientific-research",
     "delete the data (odrl:elapsedTime lteq P30D)"),
    ("uantwerpen", ds("antwerp", "de-lijn-reizigers"), "dpv:ScientificResearch",
     "delete the data (odrl:elapsedTime lteq P30D)"),
    ("stad-antwerpen", ds("antwerp", "luchtmetingen-burgers"), "purpose:urban-planning",
     "obtain consent from agent:datadonors-donors"),
])
def test_duties_come_with_permits(demo: Any, party: str, target: str, purpose: str | None, duty: str) -> None:
    body = decision_dict(check(demo, ORG + party, "odrl:use", target, purpose))
    assert body["decision"] == PERMIT
    assert [d["text"] for d in body["duties"]] == [duty]


def test_territory_defaults_to_the_party_city(demo: Any) -> None:
    target = ds("antwerp", "elektriciteitsverbruik-sector")
    assert check(demo, ORG + "stad-antwerpen", "odrl:use", target).decision == PERMIT
    assert check(demo, ORG + "tu-delft", "odrl:use", target).decision == NOT_APPLICABLE
    spatial = "http://publications.europa.eu/resource/authority/country/BEL"
    assert check(demo, ORG + "tu-delft", "odrl:use", target, spatial=spatial).decision == PERMIT


def test_use_case_flows(demo: Any) -> None:
    flows = use_case_flows(demo, USECASE + "e-scooter-b2g-planning")
    assert [(f["dataset"], f["recipient"], f["decision"], f["consistent"]) for f in flows] == [
        (TRIPS, ORG + "stad-antwerpen", PERMIT, True)]
    everything = [f for uc in ("oresund-cross-border-traffic", "multi-city-energy-optimisation",
                               "tourism-crowd-management", "heat-wave-response", "cloudburst-early-warning",
                               "nordhavn-digital-twin", "shared-ev-charging-planning", "citizen-air-quality")
                  for f in use_case_flows(demo, USECASE + uc, at="2026-06-01")]
    assert len(everything) == 27
    assert all(f["decision"] == PERMIT and f["consistent"] for f in everything), everything
    twin = {f["dataset"]: f for f in use_case_flows(demo, USECASE + "nordhavn-digital-twin")}
    assert twin[ds("copenhagen", "energylab-nordhavn")]["duties"] == ["credit agent:dtu"]


def test_conflicts(demo: Any) -> None:
    reports, examined = find_conflicts(demo)
    found = {(r.permission.policy, r.prohibition.policy, r.decision) for r in reports}
    assert found == {(POLICY + p, POLICY + p, DENY) for p in (
        "alliander-b2g-grid-data", "dtu-energylab-non-commercial", "firenze-tourism-non-commercial",
        "telemetria-crowd-florence")}
    assert examined >= len(reports)
    for r in reports:  # each witness really makes both rules apply
        d = check(demo, r.witness.party, r.witness.action, r.witness.target, list(r.witness.purpose),
                  validate=False)
        assert d.conflict is not None and d.decision == DENY


def test_usable_datasets_agrees_with_single_checks(demo: Any) -> None:
    usable = usable_datasets(demo, ORG + "stad-antwerpen", "purpose:urban-planning")
    assert TRIPS in usable and ds("antwerp", "bomen") in usable
    assert ds("copenhagen", "fjernvarme-forbrug") not in usable  # HOFOR's agreement is with Copenhagen only
    assert TRIPS not in usable_datasets(demo, ORG + "adpulse-media", "purpose:marketing")
    from agora.kg.policy.catalog import _groups
    from agora.kg.policy.engine import engine_for

    assets = sorted(_groups(engine_for(demo).snapshot())[1])
    for party, purpose in (("stad-antwerpen", "purpose:urban-planning"), ("twinworks", "purpose:commercial")):
        usable = usable_datasets(demo, ORG + party, purpose)
        singles = {a for a in assets if check(demo, ORG + party, "odrl:use", a, purpose, validate=False).permitted}
        assert usable == singles
        assert filter_usable(demo, assets, ORG + party, purpose) == [a for a in assets if a in singles]


# -- HTTP ---------------------------------------------------------------------------------------------
@pytest.fixture
def client(demo: Any) -> Any:
    from fastapi.testclient import TestClient

    from agora.api import routes_policy
    from agora.api.app import create_app

    app = create_app(demo.settings, store=demo, load_demo=False)
    if not any(getattr(r, "path", "") == "/api/policy/check" for r in app.routes):
        app.include_router(routes_policy.router)
    with TestClient(app) as c:
        yield c


def test_api_check(client: Any) -> None:
    r = client.get("/api/policy/check", params={"party": ORG + "stad-antwerpen", "action": "odrl:use",
                                                "target": TRIPS, "purpose": "purpose:urban-planning"})
    assert r.status_code == 200 and r.json()["decision"] == PERMIT
    r = client.get("/api/policy/check", params={"party": ORG + "adpulse-media", "target": TRIPS,
                                                "purpose": "marketing"})
    assert r.json()["decision"] == DENY
    r = client.get("/api/policy/check", params={"party": ORG + "nobody", "target": TRIPS})
    assert r.status_code == 400 and "unknown party" in r.json()["message"]
    assert client.get("/api/policy/check", params={"party": ORG + "stad-antwerpen"}).status_code == 400
    r = client.get("/api/policy/check", params={
        "party": ORG + "tu-delft", "target": ds("antwerp", "elektriciteitsverbruik-sector"),
        "spatial": "country:BEL", "purpose": ["purpose:urban-planning", "purpose:statistics"]})
    assert r.status_code == 200 and r.json()["decision"] == PERMIT
    assert r.json()["request"]["purpose"] == ["https://w3id.org/agora/purpose/urban-planning",
                                              "https://w3id.org/agora/purpose/statistics"]
    r = client.get("/api/policy/check", params={"party": ORG + "stad-antwerpen", "target": TRIPS, "at": "soon"})
    assert r.status_code == 400


def test_api_conflicts_and_flows(client: Any) -> None:
    body = client.get("/api/policy/conflicts").json()
    assert len(body["conflicts"]) == 4
    flows = client.get("/api/policy/flows", params={"use_case": USECASE + "e-scooter-b2g-planning"}).json()
    assert flows["flows"][0]["decision"] == PERMIT


# -- CLI ------------------------------------------------------------------------------------------------
@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / "cli-data"
    shutil.copytree(demo_dir, target)
    return target


def test_cli_check(demo_copy: Path) -> None:
    runner = CliRunner()
    args = ["check", "--party", "agent:stad-antwerpen", "--target", TRIPS, "-d", str(demo_copy)]
    r = runner.invoke(policy_app, [*args, "--purpose", "purpose:urban-planning"])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("Decision: Permit") and "policy:voltway-trip-data permission #1" in r.output
    r = runner.invoke(policy_app, [*args, "--purpose", "purpose:marketing", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.output)["decision"] == DENY
    r = runner.invoke(policy_app, ["check", "--party", "agent:adpulse-media", "--target", TRIPS,
                                   "--purpose", "urban-planning", "-d", str(demo_copy)])
    assert r.exit_code == 0 and r.output.startswith("Decision: NotApplicable")


@pytest.mark.parametrize("bad", [["--party", "agent:nobody"], ["--party", "nope:x"], ["--at", "yesterday"],
                                 ["--format", "xml"]])
def test_cli_bad_input_exits_2(demo_copy: Path, bad: list[str]) -> None:
    args = {"--party": "agent:stad-antwerpen", "--target": TRIPS}
    args.update(dict(zip(bad[::2], bad[1::2], strict=True)))
    r = CliRunner().invoke(policy_app, ["check", *[x for kv in args.items() for x in kv], "-d", str(demo_copy)])
    assert r.exit_code == 2, r.output


def test_cli_conflicts(demo_copy: Path) -> None:
    r = CliRunner().invoke(policy_app, ["conflicts", "-d", str(demo_copy)])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("4 conflict(s) found")
    assert "policy:dtu-energylab-non-commercial permission #1  vs" in r.output
    r = CliRunner().invoke(policy_app, ["conflicts", "--format", "json", "-d", str(demo_copy)])
    assert len(json.loads(r.output)["conflicts"]) == 4


def test_cli_goes_through_a_running_server(demo_copy: Path, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from agora.api import backend

    calls: list[str] = []

    def get(url: str, **kwargs: Any) -> Any:
        calls.append(url)
        return client.get(url.removeprefix("http://agora.test"), params=kwargs.get("params"))

    monkeypatch.setattr(backend, "running_server", lambda settings: "http://agora.test")
    monkeypatch.setattr(httpx, "get", get)
    r = CliRunner().invoke(policy_app, ["check", "--party", "agent:stad-antwerpen", "--target", TRIPS,
                                        "--purpose", "urban-planning", "-d", str(demo_copy)])
    assert r.exit_code == 0 and r.output.startswith("Decision: Permit"), r.output
    r = CliRunner().invoke(policy_app, ["check", "--party", "agent:nobody", "--target", TRIPS, "-d", str(demo_copy)])
    assert r.exit_code == 2 and "unknown party" in r.output
    assert calls == ["http://agora.test/api/policy/check"] * 2
