"""`agora profile ...`: list, register and remove validation profiles (named sets of SHACL shapes).

A registered profile is what an interoperability tester or a national portal asks for by name
(`agora validate FILE --profile my-city@1.0`, `POST /validate?profile=...`, `agora load --profile`):
its files are copied into the data directory, so later validations use exactly these shapes.
Like the other commands, these work on the data directory directly, or, while `agora serve`
holds it, through that server's HTTP API (GET/POST/DELETE /api/profiles), with the same output;
registering needs a write token there and removing an admin token (`--token` or AGORA_TOKEN).
Exit codes: 0 success, 2 bad input (unknown profile, shapes that do not parse, a name taken by
other shapes), 3 when the server cannot be reached.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from agora.kg.config import Settings, load_settings
from agora.kg.errors import AgoraError, BadInput

# Own consoles and options instead of importing cli.py (cli.py imports this module to register it).
out = Console()
err = Console(stderr=True)

profile_app = typer.Typer(help="Validation profiles: list the built-in and registered ones, register shapes "
                               "under a name, remove a registered profile.", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", "-d", envvar="AGORA_DATA_DIR",
                                               help="Data directory (default ./agora-data).")]
TokenOpt = Annotated[str | None, typer.Option("--token", envvar="AGORA_TOKEN",
                                               help="Bearer token when a server holds the data directory.")]


def _fail(exc: AgoraError) -> None:
    err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
    raise typer.Exit(exc.exit_code)


def _remote(settings: Settings, token: str | None) -> Any:
    """The running server's API client, or None when no server holds the data directory."""
    from .backend import RemoteBackend, running_server

    url = running_server(settings)
    return RemoteBackend(url, token) if url is not None else None


@profile_app.command("list")
def list_command(
    format: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
    data_dir: DataDir = None,
) -> None:
    """List the validation profiles: Agora's built-in ones, then those registered in this data directory.

    Example: `agora profile list --format json`
    """
    try:
        if format not in ("text", "json"):
            raise BadInput(f"unknown format {format!r}; use text or json")
        settings = load_settings(data_dir)
        remote = _remote(settings, None)
        if remote is not None:
            try:
                rows = remote._check(remote.client.get("/api/profiles")).json()
            finally:
                remote.close()
        else:
            from agora.kg.profiles import list_profiles

            rows = [p.to_dict() for p in list_profiles(settings.data_dir)]
    except AgoraError as exc:
        _fail(exc)
        return
    if format == "json":
        sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        return
    table = Table("profile", "kind", "shapes files", "background", "registered", "description")
    for p in rows:
        background = "yes" if p["background_default"] else "no"
        if p.get("background_files"):
            background += f" (+{len(p['background_files'])} own file{'s' if len(p['background_files']) > 1 else ''})"
        table.add_row(escape(p["name"]), "built-in" if p["builtin"] else "registered",
                      escape(", ".join(p["files"])), background, p.get("registered_at") or "",
                      escape(p.get("description") or ""))
    out.print(table)


@profile_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="Profile name, optionally with a version: my-city@1.0.")],
    shapes: Annotated[list[Path], typer.Argument(help="SHACL shapes files (any RDF syntax).")],
    background: Annotated[list[Path] | None, typer.Option(
        "--background", "-b", help="A background file for the profile (vocabularies its sh:class checks refer "
                                   "to); repeatable. Validation against the profile then reads them.")] = None,
    vocabularies: Annotated[bool, typer.Option(
        "--vocabularies/--no-vocabularies", help="Also read Agora's ontology and shipped EU vocabularies by "
                                                 "default (off: exactly pyshacl's results).")] = False,
    description: Annotated[str, typer.Option("--description", help="What the profile is for.")] = "",
    replace: Annotated[bool, typer.Option("--replace", help="Replace a profile registered with other "
                                                            "shapes.")] = False,
    token: TokenOpt = None,
    data_dir: DataDir = None,
) -> None:
    """Register SHACL shapes under a profile name; the files are copied into the data directory.

    Example: `agora profile add dcat-ap-official@3.0.1 shapes.ttl range.ttl`, then
    `agora validate catalog.ttl --profile dcat-ap-official@3.0.1`.
    """
    try:
        for f in [*shapes, *(background or [])]:
            if not f.is_file():
                raise BadInput(f"{f}: no such file")
        settings = load_settings(data_dir)
        remote = _remote(settings, token)
        if remote is not None:
            try:
                files = [("shapes", (p.name, p.read_bytes())) for p in shapes]
                files += [("background", (p.name, p.read_bytes())) for p in background or []]
                data = {"description": description, "replace": str(replace).lower(),
                        "background": str(vocabularies).lower()}
                info = remote._check(remote.client.post(f"/api/profiles/{name}", files=files, data=data)).json()
            finally:
                remote.close()
        else:
            from agora.kg.profiles import register_profile

            info = register_profile(settings.data_dir, name, list(shapes), description=description,
                                    background=vocabularies, replace=replace,
                                    background_files=list(background or [])).to_dict()
    except AgoraError as exc:
        _fail(exc)
        return
    extra = f", {len(info['background_files'])} background file(s)" if info.get("background_files") else ""
    out.print(f"registered profile [bold]{escape(info['name'])}[/] ({len(info['files'])} shapes file(s){extra}); "
              f"use it with --profile {escape(info['name'])}", highlight=False)


@profile_app.command("remove")
def remove_command(
    name: Annotated[str, typer.Argument(help="A registered profile's name.")],
    force: Annotated[bool, typer.Option("--force", help="Remove it even if sources were validated with it "
                                                        "(their later writes then need another profile).")] = False,
    token: TokenOpt = None,
    data_dir: DataDir = None,
) -> None:
    """Remove a registered profile (built-in profiles stay).

    Refused while a source's current version was validated with it, unless --force.

    Example: `agora profile remove my-city@1.0`
    """
    try:
        settings = load_settings(data_dir)
        remote = _remote(settings, token)
        if remote is not None:
            try:
                remote._check(remote.client.delete(f"/api/profiles/{name}", params={"force": str(force).lower()}))
            finally:
                remote.close()
        else:
            from agora.kg.profiles import profile_users, remove_profile
            from agora.kg.store import AgoraStore

            store = AgoraStore(settings)
            try:
                users = profile_users(store, name)
            finally:
                store.close()
            remove_profile(settings.data_dir, name, in_use=users, force=force)
    except AgoraError as exc:
        _fail(exc)
        return
    out.print(f"removed profile [bold]{escape(name)}[/]", highlight=False)
