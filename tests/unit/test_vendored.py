"""The vendored chart library is the published file, byte for byte, with its licence."""

from __future__ import annotations

import hashlib
from pathlib import Path

VENDOR = Path(__file__).parents[2] / "appliance" / "app" / "web" / "static" / "vendor"
CHART_JS_SHA256 = "48444a82d4edcb5bec0f1965faacdde18d9c17db3063d042abada2f705c9f54a"  # chart.js 4.5.1


def test_chart_js_is_the_pinned_release() -> None:
    data = (VENDOR / "chart.umd.min.js").read_bytes()
    assert hashlib.sha256(data).hexdigest() == CHART_JS_SHA256
    assert data.startswith(b"/*!\n * Chart.js v4.5.1\n")
    assert CHART_JS_SHA256 in (VENDOR / "README.md").read_text(encoding="utf-8")


def test_its_licence_ships_beside_it() -> None:
    assert (VENDOR / "chart.js-LICENSE.md").read_text(encoding="utf-8").startswith("The MIT License (MIT)")
