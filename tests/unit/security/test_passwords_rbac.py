import pytest

from appliance.app.domain.errors import Forbidden, Invalid
from appliance.security.passwords import Argon2Params, Passwords, check_strength, one_time_password
from appliance.security.rbac import PERMISSIONS, Permission, may_grant, require


@pytest.mark.parametrize(
    "password",
    ["short1", "alllettersnodigits", "123456789012345", "x" * 300 + "1"],
)
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(Invalid):
        check_strength(password)


def test_password_may_not_contain_the_user_name() -> None:
    with pytest.raises(Invalid, match="user name"):
        check_strength("alice-2026-secret", "alice")


def test_one_time_passwords_meet_the_rules() -> None:
    for _ in range(20):
        check_strength(one_time_password())


def test_one_time_passwords_have_no_look_alike_characters() -> None:
    seen = "".join(one_time_password() for _ in range(300))
    assert not set(seen) & set("0Oo1lIi5Ss2Zz8BuvUV")
    assert len(set(seen)) > 40, "still drawn from a wide alphabet"


def test_argon2id_at_the_owasp_floor_and_rehash_when_raised() -> None:
    weak = Passwords()
    stored = weak.hash("Correct-horse-9")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert weak.verify(stored, "Correct-horse-9")
    assert not weak.verify(stored, "correct-horse-9")
    assert not weak.verify(None, "Correct-horse-9")
    stronger = Passwords(Argon2Params(time_cost=3))
    assert stronger.needs_rehash(stored)


def test_parameters_below_the_floor_are_refused() -> None:
    with pytest.raises(Invalid, match="floor"):
        Passwords(Argon2Params(memory_kib=8192))


def test_roles_hold_what_the_shop_expects() -> None:
    assert Permission.VOID_LINE not in PERMISSIONS["cashier"]
    assert Permission.VOID_LINE in PERMISSIONS["supervisor"]
    assert Permission.VIEW_AUDIT in PERMISSIONS["auditor"]
    assert Permission.SELL not in PERMISSIONS["auditor"]
    assert PERMISSIONS["admin"] == frozenset(Permission)
    with pytest.raises(Forbidden):
        require("cashier", Permission.REFUND)


def test_only_managers_and_admins_key_a_card_in() -> None:
    """Card not present: the number typed at the till is a manager's act (docs/pci-scope.md)."""
    holders = sorted(role for role, held in PERMISSIONS.items() if Permission.KEYED_CARD in held)
    assert holders == ["admin", "manager"]


def test_managers_create_staff_below_them_only() -> None:
    assert may_grant("manager", "cashier")
    assert not may_grant("manager", "admin")
    assert not may_grant("manager", "manager")
    assert may_grant("admin", "auditor")
    assert not may_grant("supervisor", "cashier")
