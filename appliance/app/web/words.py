"""The shop's words for the screens: `GET /words/{lang}.json`, the same catalogue the
receipts read (appliance/app/words/), so that a screen and the paper say the same thing.

Like a static file, it needs no session (the sign-in screen speaks too) and is cached by the
browser: it is checked again on each load (no-cache) and answered 304 while unchanged."""

from __future__ import annotations

import hashlib
import json
from functools import cache

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from appliance.app.domain.words import LANGUAGES, catalogue

CACHE = "no-cache"  # keep it, but ask again: an upgrade may have changed the words


@cache
def _served(language: str) -> tuple[bytes, str]:
    body = json.dumps(catalogue(language), ensure_ascii=False, separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def words(request: Request) -> Response:
    language = request.path_params["lang"]
    if language not in LANGUAGES:
        raise HTTPException(404, f"no words in {language[:8]!r}; one of {', '.join(LANGUAGES)}")
    body, etag = _served(language)
    headers = {"cache-control": CACHE, "etag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def routes() -> list[BaseRoute]:
    return [Route("/words/{lang}.json", words, methods=["GET"])]
