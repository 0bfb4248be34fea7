"""The dataset edit form for curators: `/edit?iri=...` shows it, a plain form POST saves it.

It works without JavaScript: the write token is a form field (the sources page's script, when it
runs, fills it in from this tab's session). Authorisation is the same as for every write
(`require_scope` and `check_owner` in auth.py: a `write` token that owns the source holding the
dataset, or an admin token). The save itself is kg/dataset_edit.py: only the changed fields,
one validated, atomic SPARQL Update on the dataset's source, refused with 409 when the dataset
changed since the form was opened, and with 422 and the violations when it would break the
source's shapes (nothing is written then).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from agora.kg.dataset_edit import (
    MIXED,
    Conflict,
    DatasetForm,
    build_update,
    changed_fields,
    choices,
    field_rows,
    form_from_fields,
    holder,
    read_form,
)
from agora.kg.errors import AgoraError, BadInput, Unauthorized, ValidationFailed
from agora.kg.report_formats import report_json

from .auth import check_owner, claim, require_scope
from .page_base import chosen_lang, render, resource_href

router = APIRouter(tags=["pages"])
LANGUAGE_NAMES = {"en": "English", "da": "Danish", "sv": "Swedish", "nl": "Dutch", "it": "Italian", "de": "German",
                  "fr": "French", "": "no language tag"}


def field_label(name: str) -> str:
    kind, sep, la = name.partition(".")
    base = {"title": "Title", "description": "Description", "keywords": "Keywords", "themes": "Themes",
            "publisher": "Publisher", "contact": "Contact point", "licence": "Licence",
            "access_rights": "Access rights", "landing_page": "Landing page", "temporal": "Temporal coverage",
            "spatial": "Places covered"}.get(kind, kind)
    return f"{base} ({LANGUAGE_NAMES.get(la, la)})" if sep else base


def _title(form: DatasetForm, lang: str) -> str:
    return form.titles.get(lang) or form.titles.get("en") or next(iter(form.titles.values()), "") or form.iri


def _context(request: Request, form: DatasetForm, *, stored: DatasetForm | None = None,
             **extra: Any) -> dict[str, Any]:
    """What edit.html shows: `form` holds the values in the fields, `stored` (if given) names the page."""
    lang = chosen_lang(request)
    opts = choices(request.app.state.store, lang, form)
    langs = form.languages()
    return {"form": form, "heading": _title(stored or form, lang), "choices": opts, "langs": langs,
            "primary": [la for la in langs if la == "en" or
            la in form.titles or la in form.descriptions or la in form.keywords],
            "language_names": LANGUAGE_NAMES, "MIXED": MIXED, "field_label": field_label,
            "dataset_href": resource_href(form.iri), **extra}


@router.get("/edit", summary="The edit form of one dataset's metadata (curators)")
async def edit_page(request: Request, iri: str | None = None, saved: str | None = None) -> Response:
    if not iri:
        return render(request, "error.html", {"error": BadInput("give the dataset to edit: /edit?iri=IRI")},
                      status=400)
    try:
        form = await run_in_threadpool(read_form, request.app.state.store, iri)
        ctx = await run_in_threadpool(_context, request, form, saved=saved)
    except AgoraError as exc:
        return render(request, "error.html", {"error": exc}, status=exc.http_status)
    return render(request, "edit.html", ctx)


def _with_token(request: Request, secret: str) -> Request:
    """The request as auth.py sees it, with the token typed into the form as its bearer token."""
    if not secret:
        return request
    headers = [(k, v) for k, v in request.scope["headers"] if k.lower() != b"authorization"]
    headers.append((b"authorization", f"Bearer {secret}".encode("latin-1", "replace")))
    return Request({**request.scope, "headers": headers})


@router.post("/edit", summary="Save a dataset's metadata from the edit form (write token in the form or header)")
async def edit_save(request: Request) -> Response:
    fields = await request.form()
    iri = str(fields.get("iri") or request.query_params.get("iri") or "").strip()
    store = request.app.state.store
    settings = request.app.state.settings
    if not iri:
        return render(request, "error.html", {"error": BadInput("the form names no dataset (field iri)")}, status=400)
    try:
        current = await run_in_threadpool(read_form, store, iri)
    except AgoraError as exc:
        return render(request, "error.html", {"error": exc}, status=exc.http_status)
    wanted = current
    try:
        wanted = form_from_fields(iri, fields, current)
        secret = str(fields.get("token") or "").strip()
        if not secret and not request.headers.get("authorization"):
            raise Unauthorized("enter a write token to save (a token with write scope that owns this source; "
                               "create one with `agora token create --scope write`)")
        authorised = _with_token(request, secret)
        token = require_scope(authorised, "write")
        info = holder(store, iri)
        check_owner(authorised, token, info.name)
        outcome = await run_in_threadpool(_save, store, info, wanted, token.name, settings.validate_on_load)
    except Conflict as exc:
        now = await run_in_threadpool(read_form, store, iri)
        names = changed_fields(now, wanted)
        ctx = await run_in_threadpool(_context, request, _keep_version(wanted, now.version), stored=now,
                                      error=exc.message, conflict=_conflict_rows(request, now, wanted, names))
        return render(request, "edit.html", ctx, status=409)
    except ValidationFailed as exc:
        report = report_json(exc.report) if exc.report is not None else {"results": []}
        violations = [r for r in report["results"] if r.get("severity") == "Violation"]
        ctx = await run_in_threadpool(_context, request, wanted, stored=current, error=exc.message,
                                      violations=violations)
        return render(request, "edit.html", ctx, status=422)
    except AgoraError as exc:
        ctx = await run_in_threadpool(_context, request, wanted, stored=current, error=exc.message)
        return render(request, "edit.html", ctx, status=exc.http_status)
    if outcome is None:
        ctx = await run_in_threadpool(_context, request, current, notice="Nothing to save: no field was changed.")
        return render(request, "edit.html", ctx)
    claim(authorised, token, info.name)
    request.app.state.ops.audit(token.name, "edit-dataset", source=info.name, detail={"dataset": iri,
                                                                                      "fields": outcome[1]})
    return RedirectResponse(f"/edit?iri={quote(iri, safe='')}&saved={outcome[0]}", status_code=303)


def _keep_version(wanted: DatasetForm, version: str) -> DatasetForm:
    """The curator's values, now based on the stored version: saving again replaces the other change."""
    wanted.version = version
    return wanted


def _save(store: Any, info: Any, wanted: DatasetForm, user: str, validate: bool) -> tuple[int, list[str]] | None:
    """Check the version and write the changes under the write lock, so no other write slips in between."""
    from agora.kg.update import run_update

    with store.write_lock:
        now = read_form(store, wanted.iri)
        if wanted.version != now.version:
            raise Conflict("someone else changed this dataset after you opened the form; nothing was saved. "
                           "Compare the stored values with yours below: saving again replaces theirs with yours.")
        text = build_update(info.graph_iri, now, wanted)
        if text is None:
            return None
        run_update(store, text, user=user, validate=validate)
        return store.require(info.name).current.number, changed_fields(now, wanted)


def _conflict_rows(request: Request, now: DatasetForm, wanted: DatasetForm, names: list[str]) -> list[dict[str, str]]:
    opts = choices(request.app.state.store, chosen_lang(request), now)
    labels = {iri: label for values in opts.values() for iri, label in values}
    stored, yours = field_rows(now, names, labels), field_rows(wanted, names, labels)
    return [{"field": field_label(n), "stored": stored[n], "yours": yours[n]} for n in names]

