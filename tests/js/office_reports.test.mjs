// node --test tests/js — the office's report chart's bars (office/web/static/reports.js), without a browser.
import assert from "node:assert/strict";
import { test } from "node:test";

import "../../appliance/office/web/static/reports.js";

const R = globalThis.OfficeReports;

test("a bar per row, its amount in major units, its label from the keys the page names", () => {
  const found = R.bars({ rows: [{ day: "2026-12-01", currency: "EUR", total: 1399 }, { day: "2026-12-02", currency: "EUR", total: -250 }] }, ["day"], "total");
  assert.deepEqual(found, { labels: ["2026-12-01", "2026-12-02"], values: [13.99, -2.5] });
});

test("several keys make a label, and the currency is named only when the report holds two", () => {
  const rows = [{ store: "lyon", till: "T01", currency: "EUR", total: 100 }, { store: "zurich", till: "T01", currency: "CHF", total: 200 }];
  assert.deepEqual(R.bars({ rows }, ["store", "till"], "total").labels, ["lyon T01 EUR", "zurich T01 CHF"]);
  assert.deepEqual(R.bars({ rows: rows.slice(0, 1) }, ["store", "till"], "total").labels, ["lyon T01"]);
});

test("an amount the books do not give is no bar's height", () => {
  assert.deepEqual(R.bars({ rows: [{ till: "T01", shift: 3, total: null }] }, ["till", "shift"], "total").values, [0]);
  assert.deepEqual(R.bars({}, ["day"], "total"), { labels: [], values: [] });
});
