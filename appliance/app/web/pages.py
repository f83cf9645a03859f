"""The screens: plain HTML shells whose scripts talk to the JSON API (no inline script, so
the CSP can forbid it).

A part repeated across a page's dialogs is written once here and placed by a one-line
comment, e.g. ``<!-- approval id="refund-approval" pair -->``: the page is whole HTML when it
leaves the server (no script builds it, nothing to wait for), and each copy keeps the ids
the screen's script and its tests find it by."""

from __future__ import annotations

import html
import importlib.resources
import re

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

PAGES = {"/": "cashier.html", "/backoffice": "backoffice.html"}
PAGES["/selfservice"] = "selfservice.html"  # a customer alone at a self-service till
PAGES["/display"] = "display.html"  # the customer display: a second window facing the customer

_PART = re.compile(r"^(?P<indent>[ ]*)<!-- (?P<part>[a-z]+)(?: (?P<attrs>[^>]*?))? -->$", re.MULTILINE)
_ATTR = re.compile(r'([a-z]+)(?:="([^"]*)")?')


def head(attrs: dict[str, str]) -> list[str]:
    """The start of a page, to the end of its head: ``title``, ``css`` (its style sheet in
    /static) and, for a page that loads its module at once, ``script`` (its path in /static)."""
    script = attrs.get("script")
    return [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(attrs['title'])}</title>",
        '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">',
        f'<link rel="stylesheet" href="/static/{html.escape(attrs["css"])}">',
        *([f'<script type="module" src="/static/{html.escape(script)}"></script>'] if script else []),
        "</head>",
    ]


def approval(attrs: dict[str, str]) -> list[str]:
    """A supervisor's (or manager's) approval inside a dialog, hidden until the API asks for it.

    ``id`` names the fieldset; its fields are ``{fields}-why``, ``-username`` and ``-password``
    (``fields`` is the id unless given). ``who`` is "Supervisor" unless given; ``pair`` puts the
    two fields side by side; ``plain`` leaves out the ``approval`` class (the void dialog's)."""
    box = html.escape(attrs["id"])
    fields = html.escape(attrs.get("fields", attrs["id"]))
    who = html.escape(attrs.get("who", "Supervisor"))
    css = "" if "plain" in attrs else ' class="approval"'
    # The till's words (till.supervisor_approval…): the screen puts them in its language.
    key = "till." + ("manager" if who == "Manager" else "supervisor")
    name = (
        f'<label for="{fields}-username" data-words="{key}_user_name_or_badge">{who} user name or badge</label>',
        f'<input id="{fields}-username" autocomplete="off" data-takes-scan="badge" autocapitalize="none"'
        ' spellcheck="false">',
    )
    secret = (
        f'<label for="{fields}-password" data-words="{key}_password_or_pin">{who} password or PIN</label>',
        f'<input id="{fields}-password" type="password" autocomplete="off">',
    )
    if "pair" in attrs:
        body = ['<div class="pair">']
        body += [f"  <div>{name[0]}", f"    {name[1]}</div>"]
        body += [f"  <div>{secret[0]}", f"    {secret[1]}</div>", "</div>"]
    else:
        body = [*name, *secret]
    return [
        f'<fieldset id="{box}"{css} hidden>',
        f'  <legend data-words="{key}_approval">{who} approval</legend>',
        f'  <p id="{fields}-why" class="hint"></p>',
        *("  " + line for line in body),
        "</fieldset>",
    ]


def language_menu(attrs: dict[str, str]) -> list[str]:
    """The EN / FR / УКР choice of a staff screen's header (common.js wires it): ``words``
    names the screen whose catalogue says "Language" (till, backoffice)."""
    words = html.escape(attrs["words"])
    return [
        '<div class="lang-menu" role="group" aria-labelledby="lang-label">',
        f'  <span id="lang-label" class="sr-only" data-words="{words}.language">Language</span>',
        *(
            f'  <button type="button" class="ghost lang-choice" data-lang="{code}" lang="{code}"'
            f' aria-pressed="false">{name}</button>'
            for code, name in (("en", "EN"), ("fr", "FR"), ("uk", "УКР"))
        ),
        "</div>",
    ]


def dialog_buttons(attrs: dict[str, str]) -> list[str]:
    """The row that ends a till dialog: its submit button, then the button that closes it (Esc).

    ``label`` is the submit button's English and ``words`` its key (none: the script names it);
    ``id`` is the button's, if the script needs it; ``danger`` for one that takes something
    away. ``back`` is the closing button's English, "Back" unless given: its key is the
    till's word for it (Keep it → till.keep_it). Without ``label`` only the closing button."""
    back = html.escape(attrs.get("back", "Back"))
    buttons = []
    if "label" in attrs:
        ident = f'id="{html.escape(attrs["id"])}" ' if "id" in attrs else ""
        css = "danger" if "danger" in attrs else "primary"
        words = f' data-words="{html.escape(attrs["words"])}"' if "words" in attrs else ""
        buttons.append(
            f'  <button {ident}type="submit" value="ok" class="{css} big"{words}>{html.escape(attrs["label"])}</button>'
        )
    key = "till." + back.lower().replace(" ", "_")
    buttons.append(
        f'  <button type="button" class="ghost big close-dialog"><span data-words="{key}">{back}</span>'
        " <kbd>Esc</kbd></button>"
    )
    return ['<div class="row">', *buttons, "</div>"]


def password_change(attrs: dict[str, str]) -> list[str]:
    """The forced change of a one-time password (the till and the back office): ``words``
    names the screen whose catalogue says it. common.js wires it by its ids (password-…)."""
    w = html.escape(attrs["words"])
    return [
        '<section id="password-view" class="card narrow" aria-labelledby="password-title" hidden>',
        f'  <h1 id="password-title" data-words="{w}.choose_a_new_password">Choose a new password</h1>',
        f'  <p data-words="{w}.password_one_use">Your password was set for one use only. Choose your own before'
        " you go on:",
        "    at least 12 characters, with letters and digits, and not containing your user name.</p>",
        '  <form id="password-form" novalidate>',
        f'    <label for="password-current" data-words="{w}.current_one_time_password">Current (one-time) password'
        "</label>",
        '    <input id="password-current" type="password" autocomplete="current-password" required>',
        f'    <label for="password-new" data-words="{w}.new_password">New password</label>',
        '    <input id="password-new" type="password" autocomplete="new-password" minlength="12" required'
        ' aria-describedby="password-rule">',
        f'    <p id="password-rule" class="hint" data-words="{w}.password_rule">12 characters or more, letters and'
        " digits, not your user name.</p>",
        f'    <label for="password-confirm" data-words="{w}.new_password_again">New password again</label>',
        '    <input id="password-confirm" type="password" autocomplete="new-password" required>',
        '    <p id="password-error" class="error" role="alert" hidden></p>',
        '    <div class="row">',
        f'      <button type="submit" class="primary" data-words="{w}.save_password">Save password</button>',
        f'      <button type="button" id="password-logout" class="ghost" data-words="{w}.log_out">Log out</button>',
        "    </div>",
        "  </form>",
        "</section>",
    ]


# Where a return's money goes unless the cashier picks store credit: the value, its key, its English.
_FIRST_WAY_BACK = {
    "original": ("till.to_the_original_payment", "To the original payment"),
    "cash": ("till.cash", "Cash"),
}
CREDIT_KEY = "till.store_credit_on_a_gift_card"


def money_back(attrs: dict[str, str]) -> list[str]:
    """A return's reason and where the money goes: ``first`` (original: the sale's payment, or
    cash) or store credit on a gift card. ``id`` prefixes the fields: ``{id}-reason``, the
    radios ``{id}-to-{first}`` and ``{id}-to-credit``, the hint ``{id}-to-hint``."""
    box = html.escape(attrs["id"])
    first = attrs["first"]
    key, label = _FIRST_WAY_BACK[first]

    def way(name: str, value: str, more: str, words: str, english: str) -> str:
        return (
            f'    <label class="choice-item"><input type="radio" name="{box}-to" id="{box}-to-{name}" value="{value}"'
            f'{more}> <span data-words="{words}">{english}</span></label>'
        )

    return [
        f'<label for="{box}-reason" data-words="till.reason">Reason</label>',
        f'<input id="{box}-reason" autocomplete="off" maxlength="200">',
        '<fieldset class="choice">',
        '  <legend data-words="till.money_back">Money back</legend>',
        '  <div class="choice-row">',
        way(first, first, " checked", key, label),
        way("credit", "gift_card", f' aria-describedby="{box}-to-hint"', CREDIT_KEY, "Store credit on a gift card"),
        "  </div>",
        f'  <p id="{box}-to-hint" class="hint" hidden></p>',
        "</fieldset>",
    ]


PARTS = {
    "head": head,
    "approval": approval,
    "language": language_menu,
    "buttons": dialog_buttons,
    "moneyback": money_back,
    "newpassword": password_change,
}


def expand(page: str) -> str:
    """The page with each part's comment replaced by the part, at the comment's indent."""

    def place(match: re.Match[str]) -> str:
        make = PARTS.get(match["part"])
        if make is None:
            return match[0]  # an ordinary comment
        attrs = {key: value or "" for key, value in _ATTR.findall(match["attrs"] or "")}
        return "\n".join(match["indent"] + line for line in make(attrs))

    return _PART.sub(place, page)


def page_html(name: str) -> str:
    """The page as served: the template with its parts in place."""
    text = (importlib.resources.files("appliance.app.web") / "templates" / name).read_text(encoding="utf-8")
    return expand(text)


def _serve(name: str) -> object:
    async def page(request: Request) -> Response:
        return HTMLResponse(page_html(name))

    page.__name__ = name.replace(".", "_")
    return page


async def _to_backoffice(request: Request) -> Response:
    """/manager was the back office's other half: its bookmarks and links land in the one back
    office (the browser keeps the #section across the redirect: /manager#staff → /backoffice#staff)."""
    return RedirectResponse("/backoffice", status_code=301)


def routes() -> list[BaseRoute]:
    pages: list[BaseRoute] = [Route(path, _serve(name), methods=["GET"]) for path, name in PAGES.items()]  # type: ignore[arg-type]
    return [*pages, Route("/manager", _to_backoffice, methods=["GET"])]
