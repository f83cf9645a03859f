"""The arrows point inward (docs/architecture.md): web → services → domain, services →
store | drivers | security, and nothing the other way.

Where the tree already breaks a rule, the break is written down below as it stands today;
these lists may only shrink. A change that adds an arrow, a cycle, a private import or a
SQL call outside the store fails here and names it. Fixing one of them makes the list
stale, and the test says so, so that the list is cut down in the same change."""

from __future__ import annotations

import ast

import pytest

from tests.architecture.imports import Import, cycles, imports, modules

KNOWN = modules()
IMPORTS = list(imports(KNOWN))


def _layer(module: str) -> str:
    for layer in ("appliance.app.domain", "appliance.app.web", "appliance.app.services", "appliance.app.store"):
        if module == layer or module.startswith(layer + "."):
            return layer
    # The office (docs/office.md) has the same layers over PostgreSQL, under appliance/office.
    for layer in ("appliance.office.web", "appliance.office.services", "appliance.office.store"):
        if module == layer or module.startswith(layer + "."):
            return layer
    for layer in ("appliance.drivers", "appliance.security"):
        if module == layer or module.startswith(layer + "."):
            return layer
    return module


# What each layer may import of the project besides itself and the domain.
MAY_IMPORT = {
    "appliance.app.domain": set(),
    "appliance.app.store": set(),
    "appliance.drivers": set(),
    "appliance.security": set(),
    "appliance.app.services": {"appliance.app.store", "appliance.drivers", "appliance.security"},
    # Roles and permissions name what an endpoint needs; the rest of security is the services'.
    "appliance.app.web": {"appliance.app.services", "appliance.security"},
    # The office shares the domain and security with the till, and nothing else: a till's
    # layer importing one of the office's (or the other way) is an arrow out of its house.
    "appliance.office.store": set(),
    "appliance.office.services": {"appliance.office.store", "appliance.security"},
    "appliance.office.web": {"appliance.office.services", "appliance.security"},
}

# Where SQL may be written: the till's store (SQLCipher) and the office's (PostgreSQL).
STORES = ("appliance.app.store", "appliance.office.store")

# Arrows that break the layers today (importer → imported module): only ever fewer.
LAYER_DEBT = {
    # Kept on purpose: the store is SQLCipher, and opening it is a key operation. Database
    # takes its key from a key provider, finishes a rekey a crash interrupted (the `.next`
    # file), and makes a new store's key file, in a crash-safe order that only the code
    # opening the file can keep; security.keys is the one module that handles key files.
    # Handing the store raw key bytes from above would split that order across two layers.
    ("appliance.app.store.db", "appliance.security.keys"),
}

# Cycles today, as sets of modules: a cycle may lose modules, never gain one. None is left:
# the shop names its devices through a protocol (services.shop.Devices), not their module.
CYCLE_DEBT: list[frozenset[str]] = []

# Private names one module takes from another today (importer, module, name).
PRIVATE_DEBT: set[tuple[str, str, str]] = set()

# Calls of execute/executemany/executescript outside appliance/app/store, per module.
SQL_DEBT: dict[str, int] = {}


def _where(found: Import) -> str:
    return f"{found.importer} (line {found.line}) imports {found.imported}"


def test_the_graph_is_read() -> None:
    # A reader that found nothing would pass every test below.
    assert len(KNOWN) > 100 and len(IMPORTS) > 300
    assert any(
        i.importer == "appliance.app.web.api" and i.imported.startswith("appliance.app.services") for i in IMPORTS
    )


def test_the_domain_imports_nothing_of_the_project() -> None:
    wrong = [
        _where(i)
        for i in IMPORTS
        if _layer(i.importer) == "appliance.app.domain" and _layer(i.imported) != "appliance.app.domain"
    ]
    assert wrong == []


def test_nothing_imports_the_web_layer_but_the_server_that_serves_it() -> None:
    wrong = [
        _where(i)
        for i in IMPORTS
        if _layer(i.imported) == "appliance.app.web"
        and _layer(i.importer) != "appliance.app.web"
        and i.importer != "appliance.app.server"
    ]
    assert wrong == []


def test_nothing_imports_the_offices_web_layer_but_its_server() -> None:
    wrong = [
        _where(i)
        for i in IMPORTS
        if _layer(i.imported) == "appliance.office.web"
        and _layer(i.importer) != "appliance.office.web"
        and i.importer != "appliance.office.server"
    ]
    assert wrong == []


def test_each_layer_imports_only_what_it_may() -> None:
    seen = set()
    wrong = []
    for i in IMPORTS:
        source, target = _layer(i.importer), _layer(i.imported)
        if source not in MAY_IMPORT or target in (source, "appliance.app.domain") or target not in MAY_IMPORT:
            continue
        if target in MAY_IMPORT[source]:
            continue
        seen.add((i.importer, i.imported))
        if (i.importer, i.imported) not in LAYER_DEBT:
            wrong.append(_where(i))
    assert wrong == [], "an arrow points outward"
    assert LAYER_DEBT <= seen, f"fixed, take them off LAYER_DEBT: {sorted(LAYER_DEBT - seen)}"


def test_no_new_import_cycle() -> None:
    edges = {(i.importer, i.imported) for i in IMPORTS if i.importer != i.imported}
    found = cycles(edges)
    for component in found:
        assert any(component <= known for known in CYCLE_DEBT), f"a new or larger import cycle: {sorted(component)}"
    for known in CYCLE_DEBT:
        current = [c for c in found if c <= known]
        left = set().union(*current) if current else set()
        assert left == known, f"the cycle shrank, cut CYCLE_DEBT down to what is left: {sorted(known - left)} are free"


def test_no_module_takes_another_ones_private_names() -> None:
    taken = {
        (i.importer, i.imported, name)
        for i in IMPORTS
        for name in i.names
        if name.startswith("_") and not name.startswith("__")
    }
    assert taken - PRIVATE_DEBT == set(), "make it public or keep it home"
    assert PRIVATE_DEBT <= taken, f"fixed, take them off PRIVATE_DEBT: {sorted(PRIVATE_DEBT - taken)}"


def _sql_calls(module: str) -> int:
    tree = ast.parse(KNOWN[module].read_text(encoding="utf-8"))
    return sum(
        1
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("execute", "executemany", "executescript")
    )


@pytest.mark.parametrize("module", sorted(m for m in KNOWN if not m.startswith(STORES)))
def test_sql_lives_in_the_store(module: str) -> None:
    count, allowed = _sql_calls(module), SQL_DEBT.get(module, 0)
    assert count <= allowed, f"{module} runs {count} SQL calls ({allowed} allowed): put them in one of {STORES}"
    assert count == allowed, f"{module} is down to {count} SQL calls: lower SQL_DEBT to match"
