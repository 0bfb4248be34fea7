"""What every page module shares: the templates, the chosen language, rendering, resource links.

Kept apart from pages.py so that the page modules (pages_home, pages_quality, pages_edit) and
pages.py, which includes their routers, import it without importing one another.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.templating import Jinja2Templates

from agora.kg.resources_view import LANGUAGES, curie

from .negotiation import _accepted

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LANG_COOKIE = "agora_lang"


def resource_href(iri: str) -> str:
    """The page of any IRI on this server (IRIs elsewhere are still described here)."""
    return "/resource?iri=" + quote(iri, safe="")


templates.env.globals.update(resource_href=resource_href, curie=curie)
templates.env.filters["curie"] = curie
templates.env.filters["q"] = lambda value: quote(str(value), safe="")
"""`{{ iri | q }}`: a value for a query string, every reserved character escaped (urlencode keeps '/')."""


# -- language -----------------------------------------------------------------------------------------
def chosen_lang(request: Request) -> str:
    """`?lang=` beats the cookie, which beats the browser's Accept-Language; English last."""
    asked = request.query_params.get("lang", "").lower()
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(LANG_COOKIE, "")
    if cookie in LANGUAGES:
        return cookie
    for media in _accepted(request.headers.get("accept-language", "")):
        code = media.split("-")[0]
        if code in LANGUAGES:
            return code
    return "en"


def _remember(request: Request, response: Response, lang: str) -> None:
    if request.query_params.get("lang", "").lower() == lang and request.cookies.get(LANG_COOKIE) != lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, samesite="lax")


def render(request: Request, name: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    lang = chosen_lang(request)
    response = templates.TemplateResponse(request, name, {"lang": lang, **context}, status_code=status,
                                          headers=headers)
    _remember(request, response, lang)
    return response
