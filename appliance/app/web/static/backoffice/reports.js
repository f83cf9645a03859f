/* Reports: any of the period reports as a table (with its chart where it has one) and as
 * CSV, and past Z reports found, read again and printed again. */
import "../report_charts.js";
import C, { $, api, el, say } from "../comptoir.js";
import { isoDay, storeToday } from "../dates.js";
import { fmt, state, w } from "./shared.js";

const ReportCharts = globalThis.ReportCharts;

// The columns of money, shown in the currency.
const MONEY = new Set(["subtotal", "tax", "total", "average", "amount", "taken", "refunded", "net", "base",
  "refunded_base", "net_base",
  "cost", "value", "retail_value", "balance", "liability", "expired_balance", "debit", "credit", "gift_cards_sold"]);
// Each report's name for people is its backoffice.* word.
export const REPORTS = [
  ["by-day", "sales_by_day"], ["by-hour", "sales_by_hour"], ["by-employee", "sales_per_employee"],
  ["by-tender", "by_tender"], ["by-tax", "by_tax"], ["top-products", "top_products"],
  ["slow-products", "slow_products"], ["voids-and-discounts", "voids_and_discounts"], ["returns", "returns"],
  ["timesheet", "timesheet"], ["stock-value", "stock_value"], ["gift-card-liability", "gift_card_liability"],
  ["journal", "accounting_journal"],
];

/** The API's path of report `name` over the days `from`…`to`, in `format` (null: JSON). */
export function reportPath(name, from, to, format) {
  const q = { from, to };
  if (format) q.format = format;
  return `/reports/${name}?` + new URLSearchParams(q);
}

/** A report as text: its heads ({text, numeric}) and rows of cells ({text, numeric}): the
 * columns' names for people, numbers right-aligned under their heads, money in the currency
 * (`money(minor)`), times on the store's clock as the shop reads them. */
export function reportGrid(report, money) {
  const numeric = report.columns.map((c) => report.rows.some((r) => typeof r[c] === "number"));
  // Times come on the store's clock with their offset: shown as the shop reads them.
  const wall = (v) => (typeof v === "string" && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v) ? v.slice(0, 16).replace("T", " ") : String(v));
  const cell = (c, v) => (v === null || v === undefined ? "" : MONEY.has(c) && typeof v === "number" ? money(v) : wall(v));
  return {
    heads: report.columns.map((c, i) => ({ text: (report.labels && report.labels[c]) || c.replace(/_/g, " "), numeric: numeric[i] })),
    rows: report.rows.map((row) => report.columns.map((c, i) => ({ text: cell(c, row[c]), numeric: numeric[i] }))),
  };
}

/** A Z report's figures as [label, value] rows (`tenderName(method)` says a tender). */
export function zFigures(z, money, tenderName) {
  return [
    [w("completed_sales"), String(z.sales.count)], [w("sales_total_net"), money(z.sales.total)],
    [w("tax"), money(z.sales.tax)], [w("discounts"), money(z.sales.discount)],
    [w("gift_cards_sold_liability"), z.gift_cards ? `${z.gift_cards.count} · ${money(z.gift_cards.amount)}` : "—"],
    [w("refunds"), `${z.refunds.count} · ${money(z.refunds.amount)}`],
    // A Z report kept from before these lines has neither.
    [w("gift_cards_returned"), z.gift_cards_returned ? `${z.gift_cards_returned.count} · ${money(z.gift_cards_returned.amount)}` : "—"],
    [w("returns_without_receipt"), z.returns_without_receipt
      ? `${z.returns_without_receipt.count} · ${money(z.returns_without_receipt.amount)}` : "—"],
    [w("voided_lines"), String(z.voids)],
    ...z.tenders.map((t) => [`${tenderName(t.method)} (${t.count})`, money(t.amount)]),
    [w("counted"), money(z.counted)], [w("expected"), money(z.cash.expected)], [w("variance"), money(z.variance)],
  ];
}

/** This month so far, as [first day, today], from today's YYYY-MM-DD. */
export const monthSoFar = (today) => [today.slice(0, 8) + "01", today];

function reportQuery(format) {
  return reportPath($("r-name").value, $("r-from").value, $("r-to").value, format);
}

function refreshCsvLink() {
  $("r-csv").setAttribute("href", "/api/v1" + reportQuery("csv"));
}

function reportTable(report) {
  const grid = reportGrid(report, fmt);
  const num = (cell) => (cell.numeric ? "num" : null);
  $("report-head").replaceChildren(...grid.heads.map((h) => el("th", { scope: "col", class: num(h) }, h.text)));
  const body = $("report-body");
  body.replaceChildren(...grid.rows.map((row) => el("tr", {}, ...row.map((c) => el("td", { class: num(c) }, c.text)))));
  if (!report.rows.length) body.append(el("tr", {}, el("td", { colspan: String(report.columns.length) }, w("nothing_in_this_period"))));
  const notes = [];
  if (report.gift_cards_sold) notes.push(w("gift_cards_sold_note", { amount: fmt(report.gift_cards_sold) }));
  say($("report-note"), notes.join(" "));
}

/** The chart of a report that has one, above its table. */
function reportChart(report) {
  ReportCharts.clear("report-canvas");
  const spec = ReportCharts.forReport(report);
  const box = $("report-chart");
  if (!spec || !report.rows.length) {
    box.replaceChildren();
    return;
  }
  spec.exponent = C.exponent(report.currency || state.currency);
  box.replaceChildren(ReportCharts.figure(el, "report-canvas", spec, w("below")));
  ReportCharts.draw("report-canvas", spec, fmt);
}

async function showZ(shift) {
  say($("z-error"), "");
  try {
    const z = await api("GET", `/shifts/${shift}/z-report`);
    const view = $("z-view");
    const span = z.opened_local
      ? w("z_span", { from: z.opened_local, to: z.until_local, zone: z.timezone }) : w("shift_n", { shift: z.shift });
    const row = ([label, value]) => el("tr", {}, el("th", { scope: "row" }, label), el("td", { class: "num" }, value));
    view.replaceChildren(
      el("h2", { id: "z-title", tabindex: "-1" }, w("z_reprint_title", { shift: z.shift, till: z.terminal_id })),
      el("p", { class: "hint" }, w("z_copy_hint", { span })),
      el("table", { class: "data" },
        el("caption", {}, w("figures")),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, w("line")), el("th", { scope: "col", class: "num" }, w("amount")))),
        el("tbody", {}, ...zFigures(z, fmt, ReportCharts.tenderName).map(row))),
      el("div", { class: "row" }, el("button", { type: "button", class: "primary", onclick: () => printZ(z.shift) }, w("print_again"))));
    view.hidden = false;
    $("z-title").focus();
  } catch (err) {
    say($("z-error"), err.message);
  }
}

async function printZ(shift) {
  say($("z-error"), "");
  say($("z-done"), "");
  try {
    const job = await api("POST", `/shifts/${shift}/z-report/print`);
    say($("z-done"), job.reprint ? w("sent_to_printer_reprint") : w("sent_to_printer"));
  } catch (err) {
    say($("z-error"), err.message);
  }
}

/** The report forms' days on the store's calendar (this browser's may be another's):
 * this month so far. */
function reportDays(timezone) {
  let today;
  try {
    today = storeToday(timezone);
  } catch (e) {
    return; // a zone this browser does not know: keep its own days
  }
  for (const [from, to] of [["r-from", "r-to"], ["z-from", "z-to"]]) {
    [$(from).value, $(to).value] = monthSoFar(today);
  }
  refreshCsvLink();
}

/** The report menu in the person's language, the chosen report kept. */
function reportNames() {
  const kept = $("r-name").value;
  $("r-name").replaceChildren(...REPORTS.map(([v, words]) => el("option", { value: v }, w(words))));
  if (kept) $("r-name").value = kept;
}

export function wire() {
  $("report-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("report-error"), "");
    try {
      const report = await api("GET", reportQuery(null));
      $("report-caption").textContent = w("report_caption", {
        report: $("r-name").selectedOptions[0].textContent, from: $("r-from").value, to: $("r-to").value, zone: report.timezone });
      reportTable(report);
      reportChart(report);
    } catch (err) {
      say($("report-error"), err.message);
    }
  });

  $("z-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("z-error"), "");
    try {
      const found = await api("GET", "/shifts/z-reports?" + new URLSearchParams({ from: $("z-from").value, to: $("z-to").value }));
      const body = $("z-body");
      body.replaceChildren(...found.rows.map((z) => el("tr", {},
        el("td", { class: "num" }, String(z.shift)), el("td", {}, z.terminal_id), el("td", {}, z.operator),
        el("td", {}, z.opened_at.slice(0, 16).replace("T", " ")), el("td", {}, z.closed_at.slice(0, 16).replace("T", " ")),
        el("td", { class: "num" }, String(z.sales)), el("td", { class: "num" }, fmt(z.total)), el("td", { class: "num" }, fmt(z.variance)),
        el("td", {}, el("button", { type: "button", onclick: () => showZ(z.shift), "aria-label": w("show_z_of_shift", { shift: z.shift }) }, w("show"))))));
      if (!found.rows.length) body.append(el("tr", {}, el("td", { colspan: "9" }, w("no_shift_closed"))));
      $("z-caption").textContent = w("z_caption", { from: found.from.slice(0, 10), to: found.to.slice(0, 10), zone: found.timezone });
    } catch (err) {
      say($("z-error"), err.message);
    }
  });

  // The days start as this month so far on this browser's clock, until the store's is known.
  reportNames();
  for (const [from, to] of [["r-from", "r-to"], ["z-from", "z-to"]]) {
    [$(from).value, $(to).value] = monthSoFar(isoDay(new Date()));
  }
  for (const id of ["r-name", "r-from", "r-to"]) $(id).addEventListener("change", refreshCsvLink);
  refreshCsvLink();
}

export function onReady(me, settings) {
  reportNames(); // written before the words arrived, it says them now
  if (settings.timezone) reportDays(settings.timezone);
}

export function onLanguage() {
  reportNames();
  // A report or a list of Z reports on screen is asked for again, in the new language.
  if ($("report-body").rows.length) $("report-form").requestSubmit();
  if ($("z-body").rows.length) $("z-form").requestSubmit();
}
