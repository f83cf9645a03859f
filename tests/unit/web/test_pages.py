"""The screens' repeated parts: one source each (pages.py), placed by a one-line comment."""

from __future__ import annotations

import re

from appliance.app.web import pages


def test_an_approval_part_becomes_the_fieldset_with_the_ids_the_script_finds() -> None:
    page = '<form>\n    <!-- approval id="refund-approval" pair -->\n    <p id="x"></p>\n</form>'
    out = pages.expand(page)
    assert "<!-- approval" not in out
    assert '    <fieldset id="refund-approval" class="approval" hidden>' in out.splitlines()
    for field in ("refund-approval-why", "refund-approval-username", "refund-approval-password"):
        assert f'id="{field}"' in out
    assert 'for="refund-approval-username" data-words="till.supervisor_user_name_or_badge">Supervisor user name' in out
    assert '<div class="pair">' in out
    assert all(line.startswith("    ") for line in out.splitlines()[1:-2]), "at the comment's indent"


def test_the_options_name_the_fields_the_approver_and_the_class() -> None:
    out = pages.expand('<!-- approval id="approval-fields" fields="approval" who="Manager" plain -->')
    assert out.startswith('<fieldset id="approval-fields" hidden>')
    assert '<legend data-words="till.manager_approval">Manager approval</legend>' in out
    assert 'id="approval-username"' in out
    assert "pair" not in out


def test_other_comments_and_a_part_nobody_knows_stay_as_they_are() -> None:
    page = '<!-- Void, with a supervisor\'s approval -->\n<!-- sidebar id="x" -->\n<p>a</p>'
    assert pages.expand(page) == page


def test_the_tills_page_has_every_approval_once_and_no_part_comment_left() -> None:
    page = pages.page_html("cashier.html")
    assert "<!-- approval" not in page
    boxes = re.findall(r'<fieldset id="([a-z-]+)"[^>]* hidden>\s*<legend[^>]*>(?:Supervisor|Manager) approval', page)
    assert len(boxes) == len(set(boxes)) == 10
    ids = re.findall(r'id="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "no id twice"


def test_the_language_menu_part_offers_the_three_languages_under_the_screens_words() -> None:
    out = pages.expand('  <!-- language words="backoffice" -->')
    assert out.startswith('  <div class="lang-menu" role="group" aria-labelledby="lang-label">')
    assert 'data-words="backoffice.language">Language<' in out
    assert re.findall(r'data-lang="([a-z]+)" lang="\1" aria-pressed="false">([^<]+)<', out) == [
        ("en", "EN"),
        ("fr", "FR"),
        ("uk", "УКР"),
    ]
    for page in ("cashier.html", "backoffice.html"):
        assert pages.page_html(page).count('class="lang-menu"') == 1, page


def test_the_buttons_part_ends_a_dialog_with_its_submit_and_the_escape_button() -> None:
    out = pages.expand('    <!-- buttons id="card-submit" words="till.charge_card" label="Charge card" -->')
    assert out.splitlines() == [
        '    <div class="row">',
        '      <button id="card-submit" type="submit" value="ok" class="primary big" data-words="till.charge_card">'
        "Charge card</button>",
        '      <button type="button" class="ghost big close-dialog"><span data-words="till.back">Back</span>'
        " <kbd>Esc</kbd></button>",
        "    </div>",
    ]


def test_a_danger_button_without_words_and_a_closing_button_of_its_own() -> None:
    out = pages.expand('<!-- buttons id="void-confirm" label="Void line" danger back="Keep it" -->')
    assert '<button id="void-confirm" type="submit" value="ok" class="danger big">Void line</button>' in out
    assert '<span data-words="till.keep_it">Keep it</span>' in out
    alone = pages.expand("<!-- buttons -->").splitlines()
    assert len(alone) == 3 and "close-dialog" in alone[1] and "submit" not in alone[1]


def test_the_tills_dialogs_end_with_their_buttons_in_place() -> None:
    page = pages.page_html("cashier.html")
    assert "<!-- buttons" not in page
    for submit in ("card-submit", "giftsell-submit", "gift-submit", "points-submit", "price-submit", "void-confirm"):
        assert page.count(f'<button id="{submit}" type="submit" value="ok"') == 1, submit


def test_the_password_change_is_one_part_in_each_staff_screens_words() -> None:
    for page, words in (("cashier.html", "till"), ("backoffice.html", "backoffice")):
        out = pages.page_html(page)
        assert "<!-- newpassword" not in out
        assert out.count('<section id="password-view"') == 1, page
        keys = set(
            re.findall(
                r'data-words="([a-z_]+)\.[a-z_]+"', out.split('<section id="password-view"')[1].split("</section>")[0]
            )
        )
        assert keys == {words}, page
        for field in ("password-current", "password-new", "password-confirm", "password-error", "password-logout"):
            assert f'id="{field}"' in out, (page, field)


def test_the_head_part_starts_the_page_with_its_title_style_and_module() -> None:
    out = pages.expand('<!-- head title="Comptoir — Customer display" css="display.css" script="display.js" -->')
    lines = out.splitlines()
    assert lines[:2] == ["<!doctype html>", '<html lang="en">']
    assert "<title>Comptoir — Customer display</title>" in lines
    assert '<link rel="stylesheet" href="/static/display.css">' in lines
    assert lines[-2:] == ['<script type="module" src="/static/display.js"></script>', "</head>"]
    assert "<script" not in pages.expand('<!-- head title="Comptoir — Till" css="pos.css" -->')
    for page in ("cashier.html", "display.html"):
        assert pages.page_html(page).startswith('<!doctype html>\n<html lang="en">\n<head>\n'), page
