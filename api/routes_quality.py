"""Metadata quality (MQA-compatible scores) and validation profiles over HTTP.

Reads only, so no token is needed: a city's curators and the public see the same scores that tell
them what to improve. The computation runs in FastAPI's thread pool (plain `def` endpoints), so a
large source does not block other requests.
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


@profiles_router.get("", summary="Validation profiles: built-in and registered in this data directory")
def profiles(request: Request) -> list[dict[str, Any]]:
    return [p.to_dict() for p in list_profiles(request.app.state.settings.data_dir)]


@profiles_router.post("/{name}", summary="Register shapes as a named profile (curators: write scope)")
async def register(name: str, request: Request) -> dict[str, Any]:
    """Upload one or more shapes files (multipart, field `shapes`) under a profile name such as `my-city@1.0`."""
    import tempfile
    from pathlib import Path

    from agora.kg.errors import BadInput
    from agora.kg.profiles import register_profile

    from .auth import require_scope

    token = require_scope(request, "write")
    form = await request.form()
    tmp = Path(tempfile.mkdtemp(prefix="agora-shapes-"))
    files = []
    for i, (_key, value) in enumerate(form.multi_items()):
        if isinstance(value, str):
            continue
        path = tmp / f"{i:02d}-{Path(value.filename or 'shapes.ttl').name}"
        path.write_bytes(await value.read())
        files.append(path)
    if not files:
        raise BadInput("send the shapes as multipart file parts (field 'shapes')")
    # Registered shapes give plain pyshacl semantics unless background knowledge is asked for.
    info = register_profile(request.app.state.settings.data_dir, name, files,
                            description=str(form.get("description", "")),
                            background=str(form.get("background", "false")).lower() == "true",
                            replace=str(form.get("replace", "false")).lower() == "true")
    request.app.state.ops.audit(token.name, "register-profile", detail={"profile": name})
    return info.to_dict()
