"""Metadata quality (MQA-compatible scores), link checks and validation profiles over HTTP.

Scores are reads, so no token is needed: a city's curators and the public see the same scores that
tell them what to improve. Link checks send requests to other servers and need an admin token.
The computations run in FastAPI's thread pool (plain `def` endpoints), so a large source does not
block other requests.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from agora.kg.errors import BadInput
from agora.kg.profiles import list_profiles
from agora.kg.quality import catalog_quality, dataset_quality, source_quality

router = APIRouter(prefix="/api/quality", tags=["quality"])
profiles_router = APIRouter(prefix="/api/profiles", tags=["validation"])


@router.get("", summary="MQA-compatible metadata quality of a dataset, a source, or every source")
def quality(
    request: Request,
    dataset: Annotated[str | None, Query(description="Dataset IRI: its score, per dimension, and what to fix")] = None,
    source: Annotated[str | None, Query(description="Source name: averages, rating bands, weakest datasets")] = None,
    datasets: Annotated[bool, Query(description="With `source`: include every dataset's score")] = False,
    lowest: Annotated[int, Query(ge=0, le=1000, description="With `source`: how many weakest datasets")] = 10,
    compliance: Annotated[bool, Query(description="Check DCAT-AP compliance (false: faster, scored "
                                                  "'not checked')")] = True,
) -> dict[str, Any]:
    """Without parameters: a summary per source and overall.

    Reachability points come only from a link-check run; without one they are 0 and listed as
    `not_checked`.
    """
    store = request.app.state.store
    if dataset is not None:
        if not dataset.strip():
            raise BadInput("dataset: give a dataset IRI")
        return dataset_quality(store, dataset, source=source, compliance=compliance)
    if source is not None:
        return source_quality(store, source, include_datasets=datasets, lowest=lowest, compliance=compliance)
    return catalog_quality(store, compliance=compliance)


@router.post("/linkcheck", summary="Check the stored access/download URLs (admin scope): allowlisted, rate-limited")
def linkcheck(
    request: Request,
    source: Annotated[str | None, Query(description="Only this source's distributions")] = None,
    limit: Annotated[int | None, Query(ge=0, description="At most this many URLs (least recently checked "
                                                         "first)")] = None,
    concurrency: Annotated[int, Query(ge=1, le=64, description="Requests in flight at once")] = 8,
    per_host_interval: Annotated[float, Query(ge=0, le=60, description="Seconds between two requests to one "
                                                                       "host")] = 1.0,
    timeout: Annotated[float, Query(gt=0, le=120, description="Read timeout per request, seconds")] = 10.0,
) -> dict[str, Any]:
    """HEAD (or a ranged GET) to every dcat:accessURL/downloadURL, through the SSRF guard: private
    addresses only for hosts in `allow_hosts`. The results feed the MQA reachability indicators."""
    from agora.kg.linkcheck import LinkCheckOptions, run_linkcheck

    from .auth import require_scope

    token = require_scope(request, "admin")
    options = LinkCheckOptions(concurrency=concurrency, per_host_interval=per_host_interval,
                               connect_timeout=min(5.0, timeout), read_timeout=timeout)
    summary = run_linkcheck(request.app.state.store, request.app.state.ops, source=source, limit=limit,
                            options=options)
    request.app.state.ops.audit(token.name, "linkcheck", source=source,
                                detail={k: summary[k] for k in ("checked", "reachable", "refused")})
    return summary


@profiles_router.get("", summary="Validation profiles: built-in and registered in this data directory")
def profiles(request: Request) -> list[dict[str, Any]]:
    return [p.to_dict() for p in list_profiles(request.app.state.settings.data_dir)]


@profiles_router.post("/{name}", summary="Register shapes as a named profile (curators: write scope)")
async def register(name: str, request: Request) -> dict[str, Any]:
    """Upload one or more shapes files (multipart, field `shapes`) under a profile name such as `my-city@1.0`.

    Files in a `background` part are the profile's own background knowledge (vocabularies its
    sh:class checks refer to); with them, validation against the profile reads them by default.
    Form fields: `description`, `background=true` (use the shipped vocabularies as background by
    default), `replace=true` (replace a profile registered with other shapes).
    """
    import tempfile
    from pathlib import Path

    from agora.kg.errors import BadInput
    from agora.kg.profiles import register_profile

    from .auth import require_scope

    token = require_scope(request, "write")
    form = await request.form()
    tmp = Path(tempfile.mkdtemp(prefix="agora-shapes-"))
    files, background_files, flags = [], [], {}
    for i, (key, value) in enumerate(form.multi_items()):
        if isinstance(value, str):
            flags.setdefault(key, value)
            continue
        path = tmp / f"{i:02d}-{Path(value.filename or 'shapes.ttl').name}"
        path.write_bytes(await value.read())
        (background_files if key == "background" else files).append(path)
    if not files:
        raise BadInput("send the shapes as multipart file parts (field 'shapes')")
    # Registered shapes give plain pyshacl semantics unless background knowledge is asked for.
    info = register_profile(request.app.state.settings.data_dir, name, files,
                            description=str(flags.get("description", "")),
                            background=str(flags.get("background", "false")).lower() == "true",
                            replace=str(flags.get("replace", "false")).lower() == "true",
                            background_files=background_files)
    request.app.state.ops.audit(token.name, "register-profile", detail={"profile": name})
    return info.to_dict()


@profiles_router.delete("/{name}", summary="Unregister a curator profile (admin scope)")
def unregister(name: str, request: Request,
               force: Annotated[bool, Query(description="Remove it even if sources were validated with it")] = False,
               ) -> dict[str, Any]:
    """Removes a registered profile. Refused (400) while sources record it as their profile, unless `force`."""
    from agora.kg.profiles import profile_users, remove_profile

    from .auth import require_scope

    token = require_scope(request, "admin")
    store = request.app.state.store
    info = remove_profile(request.app.state.settings.data_dir, name, in_use=profile_users(store, name), force=force)
    request.app.state.ops.audit(token.name, "remove-profile", detail={"profile": name, "force": force})
    return info.to_dict()
