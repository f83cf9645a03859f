// node --test tests/js — the back office's stock, orders, customers, gift cards, reports, item
// buttons and time clock (static/backoffice/): what is typed, what is sent, what a table says.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, test } from "node:test";

import C from "../../appliance/app/web/static/comptoir.js";
import { filledLines, parseWhole, signed, when } from "../../appliance/app/web/static/backoffice/shared.js";
import { clockActions, clockText } from "../../appliance/app/web/static/backoffice/clock.js";
import { reorderCounts, ruleChanges } from "../../appliance/app/web/static/backoffice/stock.js";
import { countLines } from "../../appliance/app/web/static/backoffice/count.js";
import { referenceText } from "../../appliance/app/web/static/backoffice/movements.js";
import { supplierName } from "../../appliance/app/web/static/backoffice/suppliers.js";
import { orderLines, orderMeta, receivedLines } from "../../appliance/app/web/static/backoffice/orders.js";
import { customerChanges, customerDetails } from "../../appliance/app/web/static/backoffice/customers.js";
import { balanceText, listedState } from "../../appliance/app/web/static/backoffice/giftcards.js";
import { monthSoFar, reportGrid, reportPath, zFigures } from "../../appliance/app/web/static/backoffice/reports.js";
import { freeCategories, gridToSave, move } from "../../appliance/app/web/static/backoffice/itemgrid.js";

const catalogue = (code) =>
  JSON.parse(readFileSync(new URL(`../../appliance/app/words/${code}.json`, import.meta.url), "utf8"));

before(async () => {
  C.setWords("en", catalogue("en"));
  await C.useLanguage("en", "en-CA");
});

const money = (minor) => C.formatAmount(minor, "CAD");

test("whole numbers as people type them, signed or not; times to the minute", () => {
  assert.equal(parseWhole(" 12 ", false), 12);
  assert.equal(parseWhole("+3", true), 3);
  assert.equal(parseWhole("−3", true), -3, "the typographic minus");
  assert.equal(parseWhole("-3", false), null, "no sign where none is asked for");
  for (const text of ["", "1.5", "1e3", "1234567890", "three"]) assert.equal(parseWhole(text, true), null, text);
  assert.equal(signed(4), "+4");
  assert.equal(signed(-4), "-4");
  assert.equal(signed(0), "0");
  assert.equal(when("2026-03-01T14:05:09.123Z"), "2026-03-01 14:05");
  assert.equal(when(null), "");
});

test("a line editor's rows: the filled ones with their line number, the empty skipped", () => {
  const rows = [{ sku: "A", counted: "1" }, { sku: "", counted: "" }, { sku: "", counted: "4" }];
  assert.deepEqual(filledLines(rows, ["sku", "counted"]), [{ line: 1, sku: "A", counted: "1" }, { line: 3, sku: "", counted: "4" }]);
});

test("a count: every line a SKU and a whole count, at least one line", () => {
  assert.deepEqual(countLines([{ line: 1, sku: "A", counted: "0" }, { line: 2, sku: "B", counted: "7" }]),
    { lines: [{ sku: "A", counted: 0 }, { sku: "B", counted: 7 }] });
  assert.deepEqual(countLines([{ line: 2, sku: "", counted: "4" }]), { problem: ["line_has_no_sku", { line: 2 }] });
  assert.deepEqual(countLines([{ line: 1, sku: "A", counted: "-1" }]), { problem: ["count_on_line_whole", { line: 1 }] });
  assert.deepEqual(countLines([]), { problem: ["count_at_least_one", {}] });
});

test("a new order: quantities of 1 or more, a unit cost only when typed and then an amount", () => {
  assert.deepEqual(orderLines([{ line: 1, sku: "A", quantity: "6", cost: "" }, { line: 2, sku: "B", quantity: "1", cost: "2,50" }], "CAD"),
    { lines: [{ sku: "A", quantity: 6 }, { sku: "B", quantity: 1, unit_cost: 250 }] });
  assert.deepEqual(orderLines([{ line: 1, sku: "A", quantity: "0", cost: "" }], "CAD"), { problem: ["quantity_on_line_whole", { line: 1 }] });
  const [word, values] = orderLines([{ line: 3, sku: "A", quantity: "1", cost: "2.505" }], "CAD").problem;
  assert.equal(word, "unit_cost_on_line");
  assert.equal(values.line, 3);
  assert.match(values.why, /2\.505/);
  assert.deepEqual(orderLines([], "CAD"), { problem: ["order_needs_a_line", {}] });
});

test("goods received: empty fields skipped, the first bad one found by its place", () => {
  assert.deepEqual(receivedLines([{ sku: "A", text: "2" }, { sku: "B", text: " " }, { sku: "C", text: "5" }]),
    { lines: [{ sku: "A", quantity: 2 }, { sku: "C", quantity: 5 }] });
  assert.deepEqual(receivedLines([{ sku: "A", text: "2" }, { sku: "B", text: "0" }, { sku: "C", text: "x" }]), { bad: 1 });
  assert.deepEqual(receivedLines([{ sku: "A", text: "" }]), { lines: [] });
});

test("an order's summary says its state, value and times in the person's words", () => {
  const o = { status: "partial", value: 12345, created_at: "2026-03-01T09:00:00Z", ordered_at: "2026-03-02T10:30:00Z", closed_at: null, note: "Back door" };
  assert.equal(orderMeta(o, "CAD"),
    "Status: Partly received. Value 123.45 CAD. Created 2026-03-01 09:00. Ordered 2026-03-02 10:30. Note: Back door");
});

test("stock rules: reorder point and quantity empty for none; only what changed is sent", () => {
  assert.deepEqual(reorderCounts("", " 12 "), { counts: { reorder_point: null, reorder_quantity: 12 } });
  assert.deepEqual(reorderCounts("-1", ""), { problem: "point_whole" });
  assert.deepEqual(reorderCounts("3", "2.5"), { problem: "quantity_whole" });
  const p = { cost: 300, reorder_point: null, reorder_quantity: 12, supplier_id: 4 };
  assert.deepEqual(ruleChanges(p, { cost: 300, reorder_point: 5, reorder_quantity: 12, supplier_id: null }),
    { reorder_point: 5, supplier_id: null });
  assert.deepEqual(ruleChanges(p, { cost: 300 }), {});
});

test("a customer's details: empty email and phone are none, the card in capitals, only changes sent", () => {
  const typed = { name: " Ana ", email: "", phone: " 514 ", consent: true };
  assert.deepEqual(customerDetails(typed, " ab12 "), { name: "Ana", email: null, phone: "514", consent: true, loyalty_card: "AB12" });
  assert.equal("loyalty_card" in customerDetails(typed, null), false, "a card this person may not change is not sent");
  const ana = { name: "Ana", email: null, phone: "514", consent: false, loyalty_card: "AB12" };
  assert.deepEqual(customerChanges(ana, customerDetails(typed, "AB12")), { consent: true });
});

test("gift cards: the balance as a sentence, an active card past its expiry listed as expired", () => {
  const card = { code: "GC-1", balance: 2500, currency: "CAD", status: "active", expired: false, expires_at: "2027-03-01T00:00:00Z" };
  assert.equal(balanceText(card), "GC-1: 25.00 CAD (active). Expires 2027-03-01.");
  assert.equal(balanceText({ ...card, expired: true, expires_at: null }), "GC-1: 25.00 CAD (expired).");
  assert.equal(listedState({ ...card, expired: true }), "Expired");
  assert.equal(listedState({ ...card, status: "void", expired: true }), "Void");
});

test("a report's table: names for people, numbers right, money in the currency, store times", () => {
  const report = {
    columns: ["day", "sales", "total", "note"], labels: { day: "Day", total: "Total" },
    rows: [{ day: "2026-03-01T00:00:00-05:00", sales: 3, total: 123456, note: null }, { day: "2026-03-02T00:00:00-05:00", sales: 0, total: 0, note: "closed" }],
  };
  const grid = reportGrid(report, money);
  assert.deepEqual(grid.heads, [
    { text: "Day", numeric: false }, { text: "sales", numeric: true }, { text: "Total", numeric: true }, { text: "note", numeric: false },
  ]);
  assert.deepEqual(grid.rows[0].map((c) => c.text), ["2026-03-01 00:00", "3", "1,234.56", ""]);
  assert.deepEqual(grid.rows[1].map((c) => c.text), ["2026-03-02 00:00", "0", "0.00", "closed"]);
  assert.deepEqual(reportGrid({ columns: ["retail_value"], rows: [] }, money).heads, [{ text: "retail value", numeric: false }]);
  assert.equal(reportPath("by-day", "2026-03-01", "2026-03-31", "csv"), "/reports/by-day?from=2026-03-01&to=2026-03-31&format=csv");
  assert.equal(reportPath("journal", "2026-03-01", "2026-03-31", null), "/reports/journal?from=2026-03-01&to=2026-03-31");
  assert.deepEqual(monthSoFar("2026-03-17"), ["2026-03-01", "2026-03-17"]);
});

test("a Z report's figures in order: sales, tenders, then the cash counted against expected", () => {
  const z = {
    sales: { count: 4, total: 5000, tax: 250, discount: 100 }, gift_cards: null, refunds: { count: 1, amount: 300 }, voids: 2,
    tenders: [{ method: "cash", count: 3, amount: 4000 }], counted: 14000, cash: { expected: 14050 }, variance: -50,
  };
  const rows = zFigures(z, money, (method) => method === "cash" ? "Cash" : method);
  assert.deepEqual(rows.map(([label]) => label), [
    "Completed sales", "Sales total (net of gift cards)", "Tax", "Discounts", "Gift cards sold (liability)", "Refunds",
    "Gift cards returned", "Returns without a receipt", "Voided lines", "Cash (3)", "Counted", "Expected", "Variance",
  ]);
  // A Z report kept from before gift cards returned and returns without a receipt: a dash.
  assert.deepEqual(rows.slice(4, 10).map(([, value]) => value), ["—", "1 · 3.00", "—", "—", "2", "40.00"]);
  assert.deepEqual(rows.slice(-3).map(([, value]) => value), ["140.00", "140.50", "-0.50"]);
  const newer = zFigures(
    { ...z, gift_cards_returned: { count: 1, amount: 2000 }, returns_without_receipt: { count: 2, amount: 955 } },
    money,
    String,
  );
  assert.deepEqual(newer.slice(6, 8).map(([, value]) => value), ["1 · 20.00", "2 · 9.55"]);
});

test("the till's item buttons: moved within the list, free categories, saved by sku", () => {
  const list = ["a", "b", "c"];
  assert.equal(move(list, 0, -1), false);
  assert.equal(move(list, 2, 1), false);
  assert.equal(move(list, 1, -1), true);
  assert.deepEqual(list, ["b", "a", "c"]);
  const tabs = [{ category: "Bakery", products: [{ sku: "B1" }, { sku: "B2" }] }];
  assert.deepEqual(freeCategories(tabs, [{ name: "bakery" }, { name: "Dairy" }]), [{ name: "Dairy" }]);
  assert.deepEqual(gridToSave(tabs), { tabs: [{ category: "Bakery", products: ["B1", "B2"] }] });
});

test("the time clock offers what the person's state allows; suppliers and references by name", () => {
  assert.deepEqual(clockActions("off"), ["clock_in"]);
  assert.deepEqual(clockActions("on_break"), ["break_end", "clock_out"]);
  assert.equal(clockText({ state: "working", since: "2026-03-01T14:05:00Z" }), "You are working. Since 14:05 UTC.");
  assert.equal(supplierName([{ id: 1, name: "Farine & Co" }], 1), "Farine & Co");
  assert.equal(supplierName([], 1), "");
  assert.equal(referenceText("po:12"), "Purchase order #12");
  assert.equal(referenceText("count 3"), "count 3");
  assert.equal(referenceText(null), "");
});
