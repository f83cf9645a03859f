import pytest

from appliance.app.domain.barcode import gtin_check_digit, normalise, with_check_digit
from appliance.app.domain.errors import Invalid


@pytest.mark.parametrize("code", ["4006381333931", "96385074", "0012345678905"])
def test_valid_gtins_pass(code: str) -> None:
    assert normalise(code) == code


def test_upc_a_is_stored_as_ean_13() -> None:
    assert normalise("036000291452") == "0036000291452"


@pytest.mark.parametrize(
    ("code", "kind"),
    [("4006381333932", "EAN-13"), ("96385075", "EAN-8"), ("036000291453", "UPC-A")],
)
def test_wrong_check_digit_is_named(code: str, kind: str) -> None:
    with pytest.raises(Invalid, match=kind) as err:
        normalise(code)
    assert err.value.code == "bad_check_digit"


@pytest.mark.parametrize("code", ["ABC-123", "12345", "PLU4011"])
def test_other_codes_are_plain_keys(code: str) -> None:
    assert normalise(code) == code


@pytest.mark.parametrize("code", ["", "has space", "x" * 49, "semi;colon", "é"])
def test_garbage_is_refused(code: str) -> None:
    with pytest.raises(Invalid):
        normalise(code)


def test_check_digit_helpers_agree() -> None:
    assert gtin_check_digit("400638133393") == 1
    assert with_check_digit("9638507") == "96385074"
