"""The payment terminal's URL: which driver, where, with what options; a wrong one is refused
when the till starts, with a message that says what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance import config
from appliance.drivers.terminal import TerminalConfigError, parse_url


def test_a_nexo_url_names_host_port_and_options() -> None:
    where = parse_url("nexo://192.168.1.40:8443?poi=V400m-324688179&key_id=comptoir")
    assert (where.scheme, where.host, where.port) == ("nexo", "192.168.1.40", 8443)
    assert where.options == {"poi": "V400m-324688179", "key_id": "comptoir"}


def test_a_caisse_ap_url_is_understood() -> None:
    where = parse_url("caisse-ap://tpe.local:8888")
    assert (where.scheme, where.host, where.port, where.options) == ("caisse-ap", "tpe.local", 8888, {})


@pytest.mark.parametrize(
    "url",
    [
        "http://192.168.1.40:8443",  # not a terminal protocol
        "nexo://192.168.1.40",  # no port
        "nexo://:8443",  # no host
        "nexo://192.168.1.40:99999",  # port out of range
        "caisse-ap://user:secret@tpe.local:8888",  # a secret in the URL
        "nexo://192.168.1.40:8443/sync",  # a path we would silently ignore
    ],
)
def test_a_wrong_url_is_refused(url: str) -> None:
    with pytest.raises(TerminalConfigError):
        parse_url(url)


def test_the_till_refuses_to_start_with_a_wrong_terminal_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPTOIR_TERMINAL_URL", "pinpad://10.0.0.5:1")
    with pytest.raises(config.ConfigError, match="terminal_url must be"):
        config.load(tmp_path)


def test_the_terminal_url_comes_from_the_file_or_the_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMPTOIR_TERMINAL_URL", raising=False)
    (tmp_path / "comptoir.toml").write_text('[comptoir]\nterminal_url = "caisse-ap://127.0.0.1:8888"\n')
    assert config.load(tmp_path).terminal_url == "caisse-ap://127.0.0.1:8888"
    monkeypatch.setenv("COMPTOIR_TERMINAL_URL", "nexo://127.0.0.1:8443")
    assert config.load(tmp_path).terminal_url == "nexo://127.0.0.1:8443"
