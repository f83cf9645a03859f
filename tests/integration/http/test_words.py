"""The screens read their words from the one catalogue the receipts read: served like a
static file (no session, cached and checked again), only for the languages we have; and a
receipt speaks the store's language, set by the store rule `locale`."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

WORDS_DIR = Path(__file__).resolve().parents[3] / "appliance" / "app" / "words"


@pytest.mark.parametrize("language", ["en", "fr", "uk"])
def test_each_language_is_served_without_a_session_as_shipped(client: Any, language: str) -> None:
    client.cookies.clear()
    answer = client.get(f"/words/{language}.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json() == json.loads((WORDS_DIR / f"{language}.json").read_text(encoding="utf-8"))
    assert answer.headers["cache-control"] == "no-cache"
    assert "content-security-policy" in answer.headers  # the security headers as on every answer
    again = client.get(f"/words/{language}.json", headers={"if-none-match": answer.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_languages_differ_and_say_the_same_keys(client: Any) -> None:
    english, french = client.get("/words/en.json").json(), client.get("/words/fr.json").json()
    assert english["receipt"]["change"] == "Change" and french["receipt"]["change"] == "Monnaie"
    assert english.keys() == french.keys() and english["selfservice"].keys() == french["selfservice"].keys()


@pytest.mark.parametrize(
    "path", ["/words/de.json", "/words/EN.json", "/words/en", "/words/..%2fen.json", "/words/.json"]
)
def test_any_other_language_is_not_found(client: Any, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"


def test_only_get_is_answered(client: Any) -> None:
    assert client.post("/words/en.json").status_code == 405


def test_what_self_service_says_without_its_words_is_the_catalogues_english() -> None:
    # selfservice/words.js keeps two sentences for when the catalogue itself cannot be fetched.
    script = (WORDS_DIR.parent / "web" / "static" / "selfservice" / "words.js").read_text(encoding="utf-8")
    block = re.search(r"const UNREACHABLE = \{(.*?)\};", script, re.S)
    assert block is not None
    bundled = dict(re.findall(r'(\w+): "([^"]*)"', block[1]))
    english = json.loads((WORDS_DIR / "en.json").read_text(encoding="utf-8"))["selfservice"]
    assert bundled and bundled == {key: english[key] for key in bundled}
    assert "const WORDS = {};" in script  # no other copy of the strings in the script


def test_what_the_customer_display_says_without_its_words_is_the_catalogues_english() -> None:
    # display.js keeps one sentence for when the catalogue itself cannot be fetched.
    script = (WORDS_DIR.parent / "web" / "static" / "display.js").read_text(encoding="utf-8")
    kept = re.search(r'const UNREACHABLE = "([^"]*)";', script)
    assert kept is not None
    english = json.loads((WORDS_DIR / "en.json").read_text(encoding="utf-8"))["display"]
    assert kept[1] == english["till_unreachable"]


def test_the_staff_pages_mark_only_words_the_catalogue_has() -> None:
    # cashier.html and the parts pages.py puts in it name their words by key (data-words…):
    # a key en.json lacks would show as the key itself once the words arrive.
    from appliance.app.web.pages import page_html

    english = json.loads((WORDS_DIR / "en.json").read_text(encoding="utf-8"))
    for page in ("cashier.html", "display.html", "backoffice.html"):
        keys = re.findall(r'data-words(?:-label|-title|-placeholder)?="([a-z_]+)\.([a-z0-9_]+)"', page_html(page))
        assert keys, page
        missing = [f"{screen}.{key}" for screen, key in keys if key not in english.get(screen, {})]
        assert not missing, (page, missing)


def test_the_staff_pages_english_is_the_catalogues_english() -> None:
    # What the page shows before its words arrive, and what an English till shows after: the same.
    from appliance.app.web.pages import page_html

    english = json.loads((WORDS_DIR / "en.json").read_text(encoding="utf-8"))
    for page in ("cashier.html", "display.html", "backoffice.html"):
        marked = re.findall(r'data-words="([a-z_]+)\.([a-z0-9_]+)"[^>]*>([^<]+)<', page_html(page))
        assert len(marked) > 10, page
        for screen, key, text in marked:
            assert html.unescape(" ".join(text.split())) == english[screen][key], (page, key)
