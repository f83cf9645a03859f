// node --test tests/js — what the till shows and reads about money: the totals box, the
// quick-cash buttons, the cash due at the coin and the amounts typed (static/till/).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import C from "../../appliance/app/web/static/comptoir.js";
import { amountError, cashDue, quickAmounts } from "../../appliance/app/web/static/till/payment.js";
import { totalsShown } from "../../appliance/app/web/static/till/sale.js";
import { state } from "../../appliance/app/web/static/till/state.js";

// The till's words in English, as the screen has them once the catalogue is in.
C.setWords("en", JSON.parse(readFileSync(new URL("../../appliance/app/words/en.json", import.meta.url), "utf8")));

const totals = (t) => ({ subtotal: 0, discount: 0, tax: 0, total: 0, paid: 0, due: 0, ...t });

test("no sale: every amount zero, no discount and no paid row, no tax row", () => {
  assert.deepEqual(totalsShown(null, "CAD"), {
    subtotal: "0.00", discount: "−0.00", discountLabel: "Discounts", showDiscount: false, taxes: [],
    total: "0.00", paid: "0.00", showPaid: false, due: "0.00",
  });
});

test("a sale's totals as the box writes them: its taxes by name and rate, discounts and paid shown", () => {
  const sale = {
    totals: totals({ subtotal: 123450, discount: 500, total: 136263, paid: 2000, due: 134263 }),
    taxes: [{ name: "GST", rate: "5", amount: 6148 }, { name: "QST", rate: "9.975", amount: 12265 }],
    order_discount: { kind: "percent", value: 500 },
  };
  const shown = totalsShown(sale, "CAD");
  assert.equal(shown.subtotal, "1,234.50");
  assert.deepEqual([shown.discount, shown.discountLabel, shown.showDiscount], ["−5.00", "Discounts (incl. sale)", true]);
  assert.deepEqual(shown.taxes, [{ label: "GST 5%", amount: "61.48" }, { label: "QST 9.975%", amount: "122.65" }]);
  assert.deepEqual([shown.total, shown.paid, shown.showPaid, shown.due], ["1,362.63", "20.00", true, "1,342.63"]);
  assert.equal(totalsShown({ totals: totals({ total: 1500 }), taxes: [] }, "JPY").total, "1,500");
});

test("quick cash: the next round notes above the due, four at most, none equal to it", () => {
  assert.deepEqual(quickAmounts(2533, "CAD"), [2600, 3000, 4000, 5000]);
  assert.deepEqual(quickAmounts(2000, "CAD"), [5000, 10000], "a round due: only the larger notes (20.00 is Exact's)");
  assert.deepEqual(quickAmounts(5, "CAD"), [100, 500, 1000, 2000]);
  assert.deepEqual(quickAmounts(9999, "CAD"), [10000]);
  assert.deepEqual(quickAmounts(1234, "JPY"), [1300, 1500, 2000, 5000], "yen: no cents, no 1-yen steps");
  assert.deepEqual(quickAmounts(12345, "BHD"), [13000, 15000, 20000, 50000], "three decimals");
});

test("cash settles at the store's smallest coin when the server says so", () => {
  assert.equal(cashDue({ totals: totals({ due: 1533, cash_due: 1535 }) }), 1535);
  assert.equal(cashDue({ totals: totals({ due: 1533 }) }), 1533, "a store that does not round");
});

test("an amount typed is read the shop's way, or refused with the reason in the sale's currency", () => {
  C.setLocale("fr-CA");
  state.currency = "CAD";
  assert.deepEqual(C.readAmount("4,50", state.currency), { minor: 450 });
  assert.match(amountError("4,5055"), /more decimals than CAD allows \(2\)/);
  assert.match(amountError("-5"), /negative/);
  assert.match(amountError("1.234"), /ambiguous here: type 1\s234,00/);
  state.currency = "JPY";
  assert.match(amountError("4,50"), /more decimals than JPY allows \(0\)/);
  assert.match(amountError("abc"), /is not an amount in JPY/);
  C.setLocale("en");
  state.currency = "CAD";
});
