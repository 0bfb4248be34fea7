"""The dataset edit form: prefilled from the store, saved with a write token through the validated,
atomic SPARQL Update path, refused on violations (422, nothing saved) and on conflicts (409, both
versions shown). Plain form posts, as a browser without JavaScript sends them."""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient

from agora.api.app import create_app
from agora.kg.config import load_settings
from agora.kg.dataset_edit import DatasetForm, build_update, changed_fields, read_form, version_tag
from agora.kg.store import AgoraStore
from agora.kg.update import run_update

ID = "https://agora.example.org/id/"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
THEME = "http://publications.europa.eu/resource/authority/data-theme/"
HTML = {"Accept": "text/html"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", **HTML}


@pytest.fixture(scope="module")
def client(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("edit") / "data"
    shutil.copytree(demo_dir, data)
    settings = load_settings(data, base_url="https://agora.example.org")
    store = AgoraStore(settings)
    with TestClient(create_app(settings, store=store, load_demo=False), follow_redirects=False) as c:
        yield c
    store.close()


@pytest.fixture(scope="module")
def token(client: TestClient) -> str:
    return str(client.app.state.ops.create_token("write", name="editor")[1])  # type: ignore[attr-defined]


def store_of(client: TestClient) -> AgoraStore:
    return client.app.state.store  # type: ignore[attr-defined, no-any-return]


def form_fields(doc: str) -> list[tuple[str, str]]:
    """What a browser would submit from the page's edit form, unchanged."""
    body = re.search(r'<form method="post" action="/edit".*?</form>', doc, re.S)
    assert body is not None
    doc = body.group(0)
    out: list[tuple[str, str]] = []
    for m in re.finditer(r"<input([^>]*)>", doc):
        attrs = m.group(1)
        name, value = re.search(r'name="([^"]*)"', attrs), re.search(r'value="([^"]*)"', attrs)
        if name is None or ('type="checkbox"' in attrs and " checked" not in attrs):
            continue
        out.append((name.group(1), html.unescape(value.group(1)) if value else ""))
    for m in re.finditer(r'<textarea[^>]*name="([^"]*)"[^>]*>(.*?)</textarea>', doc, re.S):
        out.append((m.group(1), html.unescape(m.group(2))))
    for m in re.finditer(r'<select[^>]*name="([^"]*)"[^>]*>(.*?)</select>', doc, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', m.group(2))
        out.append((m.group(1), html.unescape(chosen.group(1)) if chosen else ""))
    return out


def change(fields: list[tuple[str, str]], **values: Any) -> list[tuple[str, str]]:
    """Set single fields (title_en -> title.en); a list value replaces every field of that name."""
    out = list(fields)
    for key, value in values.items():
        name = key.replace("_", ".", 1) if key.startswith(("title_", "description_", "keywords_")) else key
        out = [(k, v) for k, v in out if k != name]
        out += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
    return out


def open_form(client: TestClient, iri: str) -> list[tuple[str, str]]:
    r = client.get("/edit", params={"iri": iri}, headers=HTML)
    assert r.status_code == 200, r.text[:300]
    return form_fields(r.text)


def post(client: TestClient, fields: list[tuple[str, str]]) -> Any:
    return client.post("/edit", content=urlencode(fields), headers=FORM)


def objects(store: AgoraStore, iri: str, pred: str) -> set[str]:
    info = store.require("antwerp") if "/antwerp/" in iri else store.require(iri.split("/id/")[1].split("/")[0])
    return {str(q.object) for q in store.ox.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(pred), None,
                                                              info.physical)}


# -- the form -----------------------------------------------------------------------------------------
def test_form_is_prefilled_from_the_store_and_posts_without_script(client: TestClient) -> None:
    iri = ID + "antwerp/dataset/verkeerstellingen"
    r = client.get("/edit", params={"iri": iri}, headers=HTML)
    doc = r.text
    fields = dict(form_fields(doc))
    assert fields["title.en"] == "Traffic counts from counting cameras"
    assert fields["title.nl"] == "Verkeerstellingen met telcamera's"
    assert set(fields["keywords.nl"].split(", ")) == {"telcamera", "verkeersdrukte", "verkeerstellingen"}
    assert fields["theme"] == THEME + "TRAN"
    assert fields["publisher"] == ID + "org/stad-antwerpen"
    assert fields["licence"].endswith("/licence/CC0")
    assert fields["access_rights"].endswith("/access-right/PUBLIC")
    assert (fields["start"], fields["end"]) == ("2019-01-01", "2024-12-31")
    assert fields["spatial"] in (ID + "place/antwerp", "http://publications.europa.eu/resource/authority/country/BEL")
    assert fields["version"] == version_tag(store_of(client), store_of(client).require("antwerp"), iri)
    assert 'method="post" action="/edit"' in doc and 'name="token" type="password"' in doc
    assert '<label for="title-en">Title</label>' in doc and "<legend>Themes</legend>" in doc


def test_edit_link_needs_a_dataset_iri_that_a_source_holds(client: TestClient) -> None:
    assert client.get("/edit", headers=HTML).status_code == 400
    assert client.get("/edit", params={"iri": ID + "org/stad-antwerpen"}, headers=HTML).status_code == 404
    assert client.get("/edit", params={"iri": "not an iri"}, headers=HTML).status_code == 400


# -- saving -------------------------------------------------------------------------------------------
def test_saving_changes_only_the_edited_fields_and_is_searchable(client: TestClient, token: str) -> None:
    iri = ID + "antwerp/dataset/luchtkwaliteit-vmm"
    store = store_of(client)
    before = store.require("antwerp").current.number
    untouched = {p: objects(store, iri, p) for p in (DCT + "identifier", "https://w3id.org/agora/ns#sector",
                                                     DCAT + "distribution", DCT + "description")}
    fields = open_form(client, iri)
    new_title = 'Air quality "VMM" network – edited\nby the form'
    fields = change(fields, title_en=new_title, keywords_nl="lucht, fijnstof", theme=[THEME + "ENVI", THEME + "HEAL"],
                    start="2020-01-01", end="2021-06-30", token=token)
    r = post(client, fields)
    assert r.status_code == 303, r.text[:800]
    after = store.require("antwerp").current
    assert r.headers["location"].endswith(f"&saved={after.number}") and after.number == before + 1
    assert after.loaded_by == "editor" and after.validation in ("conforms", "warnings")
    assert objects(store, iri, DCT + "title") >= {str(ox.Literal(new_title, language="en"))}
    assert objects(store, iri, DCAT + "keyword") >= {'"lucht"@nl', '"fijnstof"@nl'}
    themes = objects(store, iri, DCAT + "theme")
    assert {f"<{THEME}ENVI>", f"<{THEME}HEAL>"} <= themes
    assert any("/antwerp/" in t for t in themes)  # the city's own concept is kept
    for pred, values in untouched.items():
        assert objects(store, iri, pred) == values, pred
    saved = client.get(r.headers["location"], headers=HTML).text
    assert 'id="saved"' in saved and dict(form_fields(saved))["start"] == "2020-01-01"
    hits = client.get("/api/search", params={"q": "edited by the form", "expand": "false"}).json()["results"]
    assert hits and hits[0]["iri"] == iri
    audit = client.app.state.ops.audit_log(source="antwerp")  # type: ignore[attr-defined]
    assert audit[0]["action"] == "edit-dataset" and iri in audit[0]["detail"]


def test_a_violation_is_a_form_error_and_nothing_is_saved(client: TestClient, token: str) -> None:
    iri = ID + "florence/dataset/qualita-aria"
    store = store_of(client)
    if not objects(store, iri, DCT + "title"):
        pytest.skip("demo dataset renamed")
    before = store.require("florence").current.number
    fields = open_form(client, iri)
    cleared = change(fields, **{k.replace(".", "_", 1): "" for k, _ in fields if k.startswith("title.")},
                     token=token)
    r = post(client, cleared)
    assert r.status_code == 422
    table = re.search(r'<table class="violations">.*?</table>', r.text, re.S)
    assert table is not None
    row = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", table.group(0))))
    assert iri in row and "dct:title" in row and "must have a title" in row
    assert store.require("florence").current.number == before
    assert objects(store, iri, DCT + "title")
    assert 'name="title.en" type="text" value=""' in r.text  # the curator's values are kept in the form


def test_a_change_by_someone_else_is_a_conflict_showing_both(client: TestClient, token: str) -> None:
    iri = ID + "antwerp/dataset/bomen"
    store = store_of(client)
    if not objects(store, iri, DCT + "title"):
        pytest.skip("demo dataset renamed")
    mine = open_form(client, iri)
    graph = store.require("antwerp").graph_iri
    run_update(store, f'WITH <{graph}> DELETE {{ <{iri}> <{DCT}title> ?t }} INSERT {{ <{iri}> <{DCT}title> '
                      f'"Trees (theirs)"@en }} WHERE {{ <{iri}> <{DCT}title> ?t FILTER(lang(?t) = "en") }}',
               user="someone-else")
    version = store.require("antwerp").current.number
    r = post(client, change(mine, title_en="Trees (mine)", token=token))
    assert r.status_code == 409
    assert "someone else changed this dataset" in r.text
    table = re.search(r'<table class="conflict">.*?</table>', r.text, re.S)
    assert table is not None
    row = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", table.group(0)))
    assert "Title (English) Trees (theirs) Trees (mine)" in row
    assert store.require("antwerp").current.number == version
    again = form_fields(r.text)  # the returned form holds my values on top of their version
    assert dict(again)["title.en"] == "Trees (mine)"
    saved = post(client, change(again, token=token))
    assert saved.status_code == 303
    assert objects(store, iri, DCT + "title") >= {'"Trees (mine)"@en'}


def test_writes_need_a_token_that_owns_the_source(client: TestClient, token: str) -> None:
    iri = ID + "malmo/dataset/trafikfloden"
    store = store_of(client)
    if not objects(store, iri, DCT + "title"):
        pytest.skip("demo dataset renamed")
    fields = change(open_form(client, iri), title_en="Changed")
    before = store.require("malmo").current.number
    r = post(client, fields)
    assert r.status_code == 401 and "enter a write token" in r.text and 'value="Changed"' in r.text
    assert post(client, change(fields, token="agora_nope")).status_code == 401
    ops = client.app.state.ops  # type: ignore[attr-defined]
    other, _ = ops.create_token("write", name="other-city")
    ops.set_owner("malmo", other.id)
    try:
        r = post(client, change(fields, token=token))
        assert r.status_code == 403 and "belongs to another curator" in r.text
        reader = ops.create_token("read", name="reader")[1]
        assert post(client, change(fields, token=reader)).status_code == 403
        admin = ops.create_token("admin", name="root")[1]
        assert post(client, change(fields, token=admin)).status_code == 303  # admins change any source
    finally:
        ops.drop_owner("malmo")
    assert store.require("malmo").current.number == before + 1
    header = client.post("/edit", content=urlencode(change(open_form(client, iri), title_en="By header")),
                         headers={**FORM, "Authorization": f"Bearer {token}"})
    assert header.status_code == 303


def test_bad_values_and_no_change(client: TestClient, token: str) -> None:
    iri = ID + "antwerp/dataset/neerslag"
    store = store_of(client)
    if not objects(store, iri, DCT + "title"):
        pytest.skip("demo dataset renamed")
    fields = change(open_form(client, iri), token=token)
    before = store.require("antwerp").current.number
    r = post(client, fields)
    assert r.status_code == 200 and "Nothing to save" in r.text
    for bad in ({"start": "2020-13-45"}, {"landing_page": "not a url"}, {"start": "2022-01-01", "end": "2021-01-01"}):
        r = post(client, change(fields, **bad))
        assert r.status_code == 400, bad
        assert 'role="alert"' in r.text
    assert store.require("antwerp").current.number == before


# -- the update on its own ----------------------------------------------------------------------------
def test_build_update_writes_only_what_changed_and_escapes_text(demo_store: AgoraStore) -> None:
    iri = ID + "antwerp/dataset/verkeerstellingen"
    current = read_form(demo_store, iri)
    assert build_update("https://g.example/x", current, current) is None
    wanted = DatasetForm(**{**current.__dict__, "titles": {**current.titles, "en": 'a "b" } ; DROP ALL #'}})
    assert changed_fields(current, wanted) == ["title.en"]
    text = build_update(demo_store.require("antwerp").graph_iri, current, wanted)
    assert text is not None and "DROP ALL" in text and "keyword" not in text and "license" not in text
    run_update(demo_store, text, user="test")
    assert read_form(demo_store, iri).titles["en"] == 'a "b" } ; DROP ALL #'
    assert len(demo_store.sources()) > 5  # the text stayed a literal
