// node --test tests/js — the back office's catalogue, promotions, staff, rules, sales report and
// audit (static/manager/): what a form would send, what a table says, the store's days.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, test } from "node:test";

import C from "../../appliance/app/web/static/comptoir.js";
import { Problem, notAnAmount } from "../../appliance/app/web/static/manager/shared.js";
import { dayStart, knownZone, storeToday, zoneOffset } from "../../appliance/app/web/static/dates.js";
import {
  newProduct, productCaption, productChanges, splitCodes,
} from "../../appliance/app/web/static/manager/catalogue.js";
import { importErrorParts } from "../../appliance/app/web/static/manager/import.js";
import { describeOffer, promotionBody, stillToCome } from "../../appliance/app/web/static/manager/promotions.js";
import { mayManage, staffStates } from "../../appliance/app/web/static/manager/staff.js";
import { labelField, loyaltyWanted, ruleChanges } from "../../appliance/app/web/static/manager/rules.js";
import { periodProblem, salesTables } from "../../appliance/app/web/static/manager/sales.js";
import { auditTime, describeDetails } from "../../appliance/app/web/static/manager/audit.js";

const catalogue = (code) =>
  JSON.parse(readFileSync(new URL(`../../appliance/app/words/${code}.json`, import.meta.url), "utf8"));

before(async () => {
  C.setWords("en", catalogue("en"));
  await C.useLanguage("en", "en-CA");
});

/** What a throwing read says: [message, field id] of its Problem. */
function problemOf(read) {
  try {
    read();
  } catch (problem) {
    assert.ok(problem instanceof Problem, String(problem));
    return [problem.message, problem.field];
  }
  assert.fail("no problem was found");
}

const milk = { sku: "MILK", name: "Milk 2 L", price: 529, cost: 300, tax_class: "exempt", category: "dairy", plu: null, barcodes: ["0622", "0611"] };
const typedMilk = { name: "Milk 2 L", price: "5.29", cost: "3.00", tax_class: "exempt", category: "dairy", plu: "", barcodes: "0611, 0622" };

test("a product changed sends only what differs; barcodes in another order are the same", () => {
  assert.deepEqual(productChanges(milk, typedMilk, "CAD"), {});
  assert.deepEqual(productChanges(milk, { ...typedMilk, price: "5,49", barcodes: "0611 0622 0633" }, "CAD"),
    { price: 549, barcodes: ["0611", "0622", "0633"] });
  assert.deepEqual(productChanges(milk, { ...typedMilk, category: "", plu: "4011", cost: "" }, "CAD"),
    { category: null, plu: "4011", cost: 0 }, "an empty cost is 0, an empty category none");
});

test("a product's bad field is named, with the reason in the shop's words", () => {
  assert.deepEqual(problemOf(() => productChanges(milk, { ...typedMilk, name: "  " }, "CAD")), ["Give the product a name.", "e-name"]);
  const [message, field] = problemOf(() => productChanges(milk, { ...typedMilk, price: "5.299" }, "CAD"));
  assert.equal(field, "e-price");
  assert.match(message, /^The price: .*5\.299/);
  assert.deepEqual(problemOf(() => productChanges(milk, { ...typedMilk, plu: "401" }, "CAD"))[1], "e-plu");
  assert.deepEqual(problemOf(() => productChanges(milk, { ...typedMilk, cost: "abc" }, "CAD"))[1], "e-cost");
});

test("a new product: stock a whole number, an empty category and PLU left out", () => {
  const typed = { sku: " BREAD ", name: "Bread", price: "3.99", stock: "", tax_class: "standard", category: "", plu: "", barcodes: "123;456", sold_by: "unit" };
  assert.deepEqual(newProduct(typed, "CAD"),
    { sku: "BREAD", name: "Bread", price: 399, tax_class: "standard", barcodes: ["123", "456"], stock: 0, sold_by: "unit" });
  assert.deepEqual(newProduct({ ...typed, stock: "-2", category: "bakery", plu: "4011" }, "CAD").plu, "4011");
  assert.deepEqual(problemOf(() => newProduct({ ...typed, stock: "2.5" }, "CAD")), ["Stock must be a whole number.", "p-stock"]);
  assert.equal(problemOf(() => newProduct({ ...typed, price: "" }, "CAD"))[1], "p-price");
  assert.equal(problemOf(() => newProduct({ ...typed, plu: "12" }, "CAD"))[1], "p-plu");
});

test("barcodes split on any separator; the list's caption says when only the first 50 show", () => {
  assert.deepEqual(splitCodes(" 1, 2;3|4  5 "), ["1", "2", "3", "4", "5"]);
  assert.deepEqual(productCaption("mil", 3, false), ["products_matching", { some: "Products on sale", q: "mil", count: 3 }]);
  assert.equal(productCaption("", 50, true)[0], "products_count_first_50");
});

test("an amount refused says why, in words that follow the field's name", () => {
  assert.match(notAnAmount("The price", "3,9x", "CAD"), /^The price: “3,9x” is not an amount in CAD/);
  assert.match(notAnAmount("The price", "3.999", "JPY"), /^The price: /);
});

test("a promotion: each kind asks for its own fields, in the form's order", () => {
  const typed = { name: "Three milks", kind: "multi_price", starts: "2026-03-01", ends: "2026-03-31", category: "", percent: "", sku: "MILK", quantity: "3", price: "12.00" };
  assert.deepEqual(promotionBody(typed, "CAD"),
    { name: "Three milks", kind: "multi_price", starts: "2026-03-01", ends: "2026-03-31", sku: "MILK", quantity: 3, price: 1200 });
  assert.deepEqual(promotionBody({ ...typed, kind: "category_percent", category: " dairy ", percent: "12,5" }, "CAD"),
    { name: "Three milks", kind: "category_percent", starts: "2026-03-01", ends: "2026-03-31", category: "dairy", percent: 1250 });
  assert.equal(promotionBody({ ...typed, kind: "buy_n_get_one", price: "nonsense" }, "CAD").price, undefined);
  assert.equal(problemOf(() => promotionBody({ ...typed, name: "" }, "CAD"))[1], "pr-name");
  assert.equal(problemOf(() => promotionBody({ ...typed, kind: "category_percent" }, "CAD"))[1], "pr-category");
  assert.equal(problemOf(() => promotionBody({ ...typed, kind: "category_percent", category: "x", percent: "ten" }, "CAD"))[1], "pr-percent");
  assert.equal(problemOf(() => promotionBody({ ...typed, quantity: "3.5" }, "CAD"))[1], "pr-quantity");
  assert.equal(problemOf(() => promotionBody({ ...typed, price: "" }, "CAD"))[1], "pr-price");
  assert.equal(problemOf(() => promotionBody({ ...typed, ends: "" }, "CAD"))[1], "pr-ends");
});

test("offers are said as a customer reads them; one past its last day is not listed", () => {
  assert.equal(describeOffer({ kind: "multi_price", quantity: 3, price: 1200 }, "CAD"), "3 for 12.00 CAD");
  assert.equal(describeOffer({ kind: "buy_n_get_one", quantity: 2 }, "CAD"), "Buy 2, get 1 free");
  assert.equal(describeOffer({ kind: "category_percent", percent: 1250 }, "CAD"), "12.5 % off");
  const list = [{ ends: "2026-03-01" }, { ends: "2026-03-02" }, { ends: "2026-02-28" }];
  assert.deepEqual(stillToCome(list, "2026-03-01"), [{ ends: "2026-03-01" }, { ends: "2026-03-02" }]);
});

test("staff: who may manage whom, and an account's states in words", () => {
  const manager = { username: "mia", role: "manager" };
  assert.equal(mayManage(manager, { username: "lea", role: "cashier" }), true);
  assert.equal(mayManage(manager, { username: "ana", role: "admin" }), false, "a manager grants no admin");
  assert.equal(mayManage(manager, { username: "mia", role: "supervisor" }), false, "never one's own account");
  assert.equal(mayManage(null, { username: "lea", role: "cashier" }), false);
  assert.equal(staffStates({ active: true, locked: true, pin: "one_time", badge: true }), "active, locked, one-time PIN, badge");
  assert.equal(staffStates({ active: true, pin: "set" }), "active, PIN");
});

test("rules: only what changed is sent; loyalty's fields read; a prefix refused is its field", () => {
  const rules = { loyalty_enabled: true, variable_measure_prefixes: { 20: "price" }, gift_card_expiry_days: 0 };
  assert.deepEqual(ruleChanges({ loyalty_enabled: true, variable_measure_prefixes: { 20: "price" } }, rules), {});
  assert.deepEqual(ruleChanges({ variable_measure_prefixes: { 20: "price", 21: "weight" }, gift_card_expiry_days: 365 }, rules),
    { variable_measure_prefixes: { 20: "price", 21: "weight" }, gift_card_expiry_days: 365 });
  assert.deepEqual(loyaltyWanted({ enabled: false, points: " 2 ", value: "0,01" }, "CAD"),
    { loyalty_enabled: false, loyalty_points_per_unit: 2, loyalty_point_value: 1 });
  assert.equal(problemOf(() => loyaltyWanted({ enabled: true, points: "1.5", value: "0.01" }, "CAD"))[1], "ru-points");
  assert.match(problemOf(() => loyaltyWanted({ enabled: true, points: "1", value: "x" }, "CAD"))[0], /^The value of a point: /);
  assert.equal(labelField({ code: "invalid_prefix", message: "prefix 23 is not a scale label" }), "ru-prefix-23");
  assert.equal(labelField({ code: "invalid_prefix", message: "bad" }), "ru-prefix-20");
  assert.equal(labelField({ code: "invalid_layout", message: "prefix 23" }), "ru-layout");
});

test("the store's days: Montréal's midnight in UTC, across the change to summer time", () => {
  assert.equal(dayStart("2026-01-15", 0, "America/Montreal"), "2026-01-15T05:00:00.000Z");
  assert.equal(dayStart("2026-07-15", 0, "America/Montreal"), "2026-07-15T04:00:00.000Z");
  assert.equal(dayStart("2026-03-07", 1, "America/Montreal"), "2026-03-08T05:00:00.000Z", "the next day, still winter");
  assert.equal(dayStart("2026-03-08", 1, "America/Montreal"), "2026-03-09T04:00:00.000Z", "the day after the change");
  assert.equal(zoneOffset(Date.UTC(2026, 6, 1), "Europe/Kyiv"), 180);
  assert.equal(storeToday("Pacific/Auckland", new Date(Date.UTC(2026, 0, 1, 12))), "2026-01-02");
  assert.equal(storeToday("America/Montreal", new Date(Date.UTC(2026, 0, 1, 3))), "2025-12-31");
  assert.throws(() => storeToday("Mars/Olympus"), RangeError);
  assert.equal(knownZone("America/Montreal"), "America/Montreal");
  assert.equal(knownZone("Mars/Olympus"), null, "a zone the browser does not know: its own clock");
  assert.equal(knownZone(""), null);
});

test("the sales report's period, figures and tables", () => {
  assert.equal(periodProblem("", "2026-03-01"), "choose_both_days");
  assert.equal(periodProblem("2026-03-02", "2026-03-01"), "last_day_before_first");
  assert.equal(periodProblem("2026-03-01", "2026-03-01"), null);
  const r = {
    sales: 2, subtotal: 1000, tax: 150, total: 1150, refunds: { count: 1, amount: 200 }, cash_rounding: 0,
    by_tender: [{ method: "cash", count: 2, amount: 1150 }], by_tax: [{ name: "GST", rate: "5", base: 1000, amount: 50 }],
    top_products: [], gift_cards: null,
  };
  const tables = salesTables(r, "CAD", (method) => method.toUpperCase());
  assert.deepEqual(tables.figures.slice(0, 2), [["Sales", "2"], ["Net sales (CAD)", "10.00"]]);
  assert.equal(tables.figures.length, 5, "no cash rounding, no line for it");
  assert.deepEqual(tables.byTender.rows, [["CASH", "2", "11.50"]]);
  assert.deepEqual(tables.byTender.heads, ["Tender", "Payments", "Amount (CAD)"]);
  assert.deepEqual(tables.byTax.rows, [["GST", "5%", "10.00", "0.50"]]);
  assert.deepEqual(tables.giftCards.rows.map((row) => row[1]), ["0.00", "0.00", "0.00"]);
  assert.deepEqual(tables.topProducts.rows, []);
  assert.equal(salesTables({ ...r, currency: "JPY", cash_rounding: 5 }, "CAD", String).figures[5][1], "5");
  const noReceipt = { count: 2, amount: 955, tax: 79, cash: 347, cash_rounding: -2, store_credit: 608 };
  const withReturns = salesTables({ ...r, returns_without_receipt: noReceipt }, "CAD", String).figures;
  assert.deepEqual(withReturns[5], ["Returns without a receipt", "2 · 9.55"]);
  const none = { ...noReceipt, count: 0, amount: 0 };
  assert.equal(salesTables({ ...r, returns_without_receipt: none }, "CAD", String).figures.length, 5, "none: no line");
});

test("audit entries: details said as pairs, times to the second", () => {
  assert.equal(describeDetails('{"role":"cashier","n":[1,2],"lines":[[1,"milk"]]}'), "role: cashier; n: 1, 2; lines: 1 milk");
  assert.equal(describeDetails({ old_price: 529, what: { a: 1 } }), 'old price: 529; what: {"a":1}');
  assert.equal(describeDetails("not json"), "not json");
  assert.equal(describeDetails(null), "");
  assert.equal(auditTime("2026-03-01T14:05:09.123456+00:00"), "2026-03-01 14:05:09");
  assert.equal(auditTime("2026-03-01T14:05:09Z"), "2026-03-01 14:05:09");
});

test("a CSV import's refusal lists its bad rows one by one", () => {
  assert.deepEqual(importErrorParts("nothing imported, 2 bad row(s): line 3: no price; line 5: bad barcode; 12"), {
    head: "Nothing imported, 2 bad row(s):", rows: ["line 3: no price", "line 5: bad barcode; 12"],
  });
  assert.deepEqual(importErrorParts("The file is empty."), { head: "The file is empty.", rows: [] });
});
