"""The people and products the browser tests open a shop with, written once.

- The staff: `CASHIER`, `NEXT_CASHIER`, `SUPERVISOR`, `MANAGER`, `ADMIN` (user name,
  password), and `staff(shop, {who: role}, pins=…, badges=…)` to add them.
- The products: the barcodes the tests scan (`COFFEE`, `BREAD`, `TEA`), the catalogue rows
  most tests sell (`COFFEE_BEANS`, `BREAD_LOAF`), `catalogue(*rows)` to write a catalogue's
  CSV and `GROCERY`, the coffee-and-bread catalogue of most till tests.
- The conftest's `shop` fixture opens a store with them.
"""

from __future__ import annotations

from collections.abc import Mapping

from appliance.app.services import auth, users
from appliance.app.services.shop import Shop

Who = tuple[str, str]  # user name, password

CASHIER = ("lea", "Till-pass-2024")
NEXT_CASHIER = ("noe", "Till-pass-2025")
SUPERVISOR = ("sam", "Super-pass-2024")
MANAGER = ("mona", "Manage-pass-2024")
ADMIN = ("ada", "Admin-pass-2024")

COFFEE = "5901234123457"  # 18.99, standard tax (GST 5 % + QST 9.975 %): 21.83
BREAD = "4006381333931"  # 3.50, exempt
TEA = "96385074"

COLUMNS = "sku,name,price,tax_class,barcodes,stock"
COFFEE_BEANS = f"COF-1KG,Coffee beans 1 kg,18.99,standard,{COFFEE},40"
BREAD_LOAF = f"BRD-LOAF,Bread loaf,3.50,exempt,{BREAD},12"
TEA_BAGS = "TEA-100,Green tea 100 bags,6.25,standard,2000000000015,30"


def catalogue(*rows: str, columns: str = COLUMNS) -> str:
    """A catalogue as `catalog.import_csv` reads it: the header line, then one line a product."""
    return "\n".join((columns, *rows)) + "\n"


GROCERY = catalogue(COFFEE_BEANS, BREAD_LOAF)


def staff(
    shop: Shop,
    people: Mapping[Who, str],
    pins: Mapping[Who, str] | None = None,
    badges: Mapping[Who, str] | None = None,
) -> None:
    """Adds each person with their role, in the order given; a badge and a PIN (set with
    their password, as they would) where the test gives one."""
    for who, role in people.items():
        users.add_user(shop, None, who[0], role, who[1])
        if badges and who in badges:
            users.set_badge(shop, None, who[0], badges[who])
        if pins and who in pins:
            auth.change_pin(shop, auth.login(shop, who[0], who[1], "127.0.0.1").actor, who[1], pins[who])
