"""`comptoir office catalogue …` as a person types it at the office."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.cli import main
from appliance.office.services import audit_log, catalogue
from appliance.office.services.office import open_office


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_tax_classes_a_file_a_withdrawal_and_the_status(
    office_dsn: str, office_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--database", office_dsn, "--data-dir", str(office_dir)]
    code, out, _ = _run(
        ["office", "catalogue", "tax-class", "standard", "--name", "Standard", "--tax", "VAT=20", *where], capsys
    )
    assert (code, out) == (0, "Tax class standard: changed; version 1.\n")
    prices = tmp_path / "prices.csv"
    prices.write_text("sku,name,price,barcodes,category\nAPL,Apple,1.25,4006381333931,Fruit\nPEA,Pear,0.90,,Fruit\n")
    code, out, _ = _run(["office", "catalogue", "import", str(prices), *where], capsys)
    assert (code, out) == (0, "3 changed, 0 as they were; the catalogue is at version 4.\n")
    code, out, _ = _run(["office", "catalogue", "withdraw", "PEA", *where], capsys)
    assert (code, out) == (0, "1 withdrawn from sale in every store; version 5.\n")
    code, out, _ = _run(["office", "catalogue", "status", *where], capsys)
    assert out == "Version 5: 1 products on sale, 1 categories, 1 tax classes.\n"
    office = open_office(office_dsn, office_dir)
    actions = [e["action"] for e in audit_log.entries(office)]
    assert actions[-3:] == ["catalogue_tax_class", "catalogue_import", "catalogue_withdraw"]
    assert audit_log.verify(office)[1] == []


def test_a_bad_file_exits_2_with_every_line_that_is_wrong(
    office_dsn: str, office_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = ["--database", office_dsn, "--data-dir", str(office_dir)]
    bad = tmp_path / "bad.csv"
    bad.write_text("sku,name,price\nAPL,Apple,1.255\nPEA,,0.90\n")
    code, _, err = _run(["office", "catalogue", "import", str(bad), *where], capsys)
    assert code == 2
    assert "line 2" in err and "line 3" in err and "nothing imported" in err
    code, _, err = _run(
        ["office", "catalogue", "tax-class", "standard", "--name", "S", "--tax", "VAT=lots", *where], capsys
    )
    assert code == 2 and "not a number" in err
    code, _, err = _run(["office", "catalogue", "import", str(tmp_path / "missing.csv"), *where], capsys)
    assert code == 2 and "cannot read" in err
    assert catalogue.status(open_office(office_dsn, office_dir))["version"] == 0
