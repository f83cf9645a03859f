"""`comptoir terminal-sim`: serve, tell and records dispatched to the protocol's simulator
module; bad input exits 2 with a message."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from appliance import cli
from appliance.drivers.terminal_sim_nexo import records


def test_tell_queues_behaviours_and_records_prints_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "state.json"
    assert cli.main(["terminal-sim", "tell", "--protocol", "nexo", "--state", str(state), "decline", "wait:2.5"]) == 0
    assert json.loads(state.read_text())["queue"] == ["decline", "wait:2.5"]
    assert records(state) == []
    assert cli.main(["terminal-sim", "records", "--protocol", "nexo", "--state", str(state)]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize("word", ["charge-twice", "wait:", "wait:-1", "wait:soon"])
def test_an_unknown_behaviour_exits_2_and_queues_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], word: str
) -> None:
    state = tmp_path / "state.json"
    assert cli.main(["terminal-sim", "tell", "--protocol", "nexo", "--state", str(state), "approve", word]) == 2
    assert "unknown behaviour" in capsys.readouterr().err
    assert not state.exists() or json.loads(state.read_text())["queue"] == []


def test_an_unknown_protocol_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["terminal-sim", "records", "--protocol", "sepa", "--state", str(tmp_path / "s.json")])
    assert caught.value.code == 2


def test_a_protocol_without_its_simulator_module_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.import_module

    def without_caisse_ap(name: str, *args: Any) -> Any:
        if name == "appliance.drivers.terminal_sim_caisse_ap":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", without_caisse_ap)
    code = cli.main(["terminal-sim", "records", "--protocol", "caisse-ap", "--state", str(tmp_path / "s.json")])
    assert code == 2
    assert "no simulator for the caisse-ap protocol" in capsys.readouterr().err


def test_serve_refuses_an_address_off_loopback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["terminal-sim", "serve", "--protocol", "nexo", "--state", str(tmp_path / "s.json"), "--port", "0"]
    assert cli.main([*args, "--host", "192.0.2.1"]) == 2
    assert "loopback only" in capsys.readouterr().err
    assert cli.main([*args[:-1], "70000"]) == 2
