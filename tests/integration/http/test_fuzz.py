"""Schemathesis over every operation of /api/v1/openapi.json, against the real app (in-process,
a real encrypted store): as a manager and an admin with bearer tokens, and with no session.
Whatever it sends, no answer is a 5xx and every answer carries the security headers.

CI runs a few examples per operation and mode; COMPTOIR_FUZZ_EXAMPLES=200 for a deep local run."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis.generation.modes import GenerationMode
from schemathesis.openapi import from_dict

from appliance.app.services import auth, catalog, users
from appliance.app.services.setup import NewStore, init_store
from appliance.app.web.app import HEADERS, create_app
from tests.conftest import CATALOG, PASSWORD

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


EXAMPLES = int(os.environ.get("COMPTOIR_FUZZ_EXAMPLES", "3"))
SECURITY_HEADERS = [name.decode() for name, _ in HEADERS]
# With the fuzzer's own token these would end or change its session (they are fuzzed without one).
NOT_WITH_A_SESSION = {("POST", "/api/v1/auth/logout"), ("POST", "/api/v1/auth/password")}


@dataclass
class Tally:
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)  # operation and kind of problem → how often

    def problem(self, case: Any, who: str, kind: str, detail: str) -> None:
        key = f"{who}: {case.method} {case.operation.path} {kind}"
        self.kinds[key] = self.kinds.get(key, 0) + 1
        if self.kinds[key] == 1:  # the first example of each kind in full
            self.problems.append(f"{key}\n  {case.method} {case.formatted_path}: {detail}")


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data: Path = tmp_path_factory.mktemp("fuzz") / "data"
    shop, _ = init_store(data, NewStore(store_name="Fuzz Market"))
    users.add_user(shop, None, "manager", "manager", PASSWORD)
    users.add_user(shop, None, "boss", "admin", PASSWORD)
    catalog.import_csv(shop, None, CATALOG)
    app = create_app(shop, start_devices=False)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        yield client
    shop.close()


def _login(client: TestClient, username: str) -> str:
    auth.throttle._failures.clear()  # the fuzzer's bad logins must not keep the test's own out
    answer = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.cookies.clear()
    return str(answer.json()["token"])


def _send(client: TestClient, case: Any, token: str | None) -> Any:
    kwargs = case.as_transport_kwargs(base_url="http://127.0.0.1")
    headers = {k: v for k, v in (kwargs.get("headers") or {}).items() if k.lower() != "authorization"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    content = kwargs.get("data")
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    client.cookies.clear()
    return client.request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=headers,
        json=kwargs["json"] if "json" in kwargs else None,
        content=content,
    )


def _floats(data: Any, path: str = "") -> list[str]:
    if isinstance(data, float):
        return [path or "/"]
    if isinstance(data, list):
        return [f for i, item in enumerate(data) for f in _floats(item, f"{path}/{i}")]
    if isinstance(data, dict):
        return [f for k, v in data.items() for f in _floats(v, f"{path}/{k}")]
    return []


def _check(tally: Tally, case: Any, answer: Any, who: str, spec: dict[str, Any]) -> None:
    tally.requests += 1
    tally.statuses[answer.status_code] = tally.statuses.get(answer.status_code, 0) + 1
    if answer.status_code >= 500 and (answer.status_code, case.operation.path) != (503, "/healthz"):
        tally.problem(case, who, f"→ {answer.status_code}", case.as_curl_command())
    missing = [h for h in SECURITY_HEADERS if h not in answer.headers]
    if missing:
        tally.problem(case, who, "without security headers", f"{answer.status_code} lacks {', '.join(missing)}")
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return
    body = answer.json()
    if floats := _floats(body):  # money, counts and ids are whole numbers
        tally.problem(case, who, "answers a float", f"{answer.status_code} at {', '.join(floats[:5])}")
    declared = spec["paths"][case.operation.path][case.method.lower()]["responses"].get(str(answer.status_code))
    schema = ((declared or {}).get("content", {}).get("application/json") or {}).get("schema")
    if declared is None:
        tally.problem(case, who, f"→ {answer.status_code}, not listed", answer.text[:200])
    elif schema is not None:
        schema = {**schema, "components": spec["components"]} if "$ref" in schema else schema
        wrong = next(iter(Draft202012Validator(schema, format_checker=None).iter_errors(body)), None)
        if wrong is not None:
            at = "/".join(map(str, wrong.absolute_path))
            tally.problem(case, who, "not as described", f"{answer.status_code} at /{at}: {wrong.message[:200]}")


def _fuzz(
    client: TestClient, spec: dict[str, Any], operation: Any, who: str, tokens: dict[str, str], tally: Tally
) -> None:
    key = (operation.method.upper(), operation.path)
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    strategy = st.one_of(*(operation.as_strategy(generation_mode=mode) for mode in modes))

    @settings(
        max_examples=EXAMPLES * len(modes),
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        if who == "nobody" or key in NOT_WITH_A_SESSION:
            _check(tally, case, _send(client, case, None), "nobody", spec)
            return
        answer = _send(client, case, tokens[who])
        if answer.status_code == 401:  # the session went (idle, a fuzzed logout): log in again
            tokens[who] = _login(client, who)
            answer = _send(client, case, tokens[who])
        _check(tally, case, answer, who, spec)

    run()


def _seed(client: TestClient, token: str) -> None:
    """A few of everything with small ids, which the fuzzer's ids (shrunk towards 1) then find."""
    bearer = {"authorization": f"Bearer {token}"}

    def post(path: str, body: Any = None) -> Any:
        answer = client.post("/api/v1" + path, json=body, headers=bearer)
        assert answer.status_code < 300, (path, answer.text)
        return answer.json()

    post("/shifts", {"count": {"2000": 5}})
    for _ in range(2):
        sale = post("/sales")["id"]
        post(f"/sales/{sale}/items", {"sku": "BRD", "quantity": 2})
        post(f"/sales/{sale}/items", {"sku": "APL"})
    post(f"/sales/{sale}/gift-cards", {"amount": 2500})
    post(f"/sales/{sale}/payments", {"method": "cash", "amount": 10000})
    post("/sales")  # one left open
    post("/customers", {"name": "Ann Example", "email": "ann@example.org", "consent": True})
    supplier = post("/suppliers", {"name": "Fresh Foods"})["id"]
    post("/purchase-orders", {"supplier_id": supplier, "lines": [{"sku": "MLK", "quantity": 12}]})


@pytest.mark.slow  # about 1,800 requests: 30 s on a quiet machine, over a minute on a busy one
def test_no_5xx_and_security_headers_on_every_answer(fuzz_client: TestClient) -> None:
    spec = fuzz_client.get("/api/v1/openapi.json").json()
    schema = from_dict(spec)
    tokens = {"manager": _login(fuzz_client, "manager"), "boss": _login(fuzz_client, "boss")}
    _seed(fuzz_client, tokens["boss"])
    tally = Tally()
    started = time.monotonic()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(ops) for ops in spec["paths"].values())
    for operation in operations:
        for who in ("nobody", "manager", "boss"):
            _fuzz(fuzz_client, spec, operation, who, tokens, tally)
    elapsed = time.monotonic() - started
    print(f"\nfuzz: {tally.requests} requests over {len(operations)} operations in {elapsed:.0f} s; {tally.statuses}")
    assert not tally.problems, f"{len(tally.kinds)} kinds of problem:\n" + "\n\n".join(tally.problems)
