// node --test tests/js — which chart a report gets (report_charts.js forReport), without a browser.
import assert from "node:assert/strict";
import { test } from "node:test";

import "../../appliance/app/web/static/report_charts.js";

const R = globalThis.ReportCharts;

const labels = { total: "Total", taken: "Taken" };

test("sales by day and by hour are bars of the total, hours on the store's clock", () => {
  const day = R.forReport({ report: "by_day", labels, rows: [{ day: "2026-03-01", total: 1399 }, { day: "2026-03-02", total: 0 }] });
  assert.deepEqual([day.kind, day.labels, day.values], ["bar", ["2026-03-01", "2026-03-02"], [1399, 0]]);
  const hour = R.forReport({ report: "by_hour", labels, rows: [{ hour: 0, total: 5 }, { hour: 23, total: 349 }] });
  assert.deepEqual(hour.labels, ["00:00", "23:00"]);
  assert.equal(hour.title, "Total by hour");
});

test("the tender mix is a doughnut of what each tender took, in the shop's words", () => {
  const mix = R.forReport({ report: "by_tender", labels, rows: [{ method: "gift_card", taken: 608 }, { method: "cash", taken: 7285 }] });
  assert.deepEqual([mix.kind, mix.labels, mix.values], ["doughnut", ["Gift card", "Cash"], [608, 7285]]);
});

test("top products are horizontal bars; reports without a picture get none", () => {
  const top = R.forReport({ report: "top_products", rows: [{ name: "Milk 2 L", amount: 1058 }] });
  assert.equal(top.horizontal, true);
  assert.deepEqual(top.labels, ["Milk 2 L"]);
  for (const report of ["journal", "returns", "timesheet", "by_tax"]) assert.equal(R.forReport({ report, rows: [] }), null);
});
