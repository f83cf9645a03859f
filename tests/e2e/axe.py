"""axe-core, the WCAG 2.2 AA checker, run inside a page (see test_accessibility.py for why
those pages bypass the CSP)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.e2e.conftest import ARTIFACTS

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


class Axe:
    """Runs axe on a page and keeps every violation by the state it was found in."""

    def __init__(self) -> None:
        self.found: dict[str, list[dict[str, Any]]] = {}

    def check(self, page: Any, state: str) -> None:
        page.wait_for_timeout(50)  # let a dialog's open and the last render settle
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ') + ' — ' + n.failureSummary)})))",
            TAGS,
        )
        self.found[state] = result
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"a11y-{state}.png"))

    def assert_clean(self) -> None:
        bad = {state: v for state, v in self.found.items() if v}
        assert self.found, "axe ran on nothing"
        assert not bad, "axe-core violations (WCAG 2.2 AA):\n" + json.dumps(bad, indent=1, ensure_ascii=False)
