/* The sales report: the period's figures, gift cards (a liability, not sales), the tenders
 * and the top products with their charts, the taxes. Days are the store's (dates.js). */
import "../report_charts.js";
import C, { $, api, el, say } from "../comptoir.js";
import { dayStart, storeToday } from "../dates.js";
import { state, w } from "./shared.js";

const ReportCharts = globalThis.ReportCharts;

/** Why the two days cannot be asked for (a backoffice.* word), or null. */
export function periodProblem(from, to) {
  if (!from || !to) return "choose_both_days";
  if (to < from) return "last_day_before_first";
  return null;
}

/** The report's figures and tables, as text (`tenderName(method)` says a tender): each table
 * is {caption, heads, rows, numeric}, `numeric[i]` for a column of numbers. */
export function salesTables(r, currency, tenderName) {
  const cur = r.currency || currency;
  const m = (v) => C.formatAmount(v, cur);
  const cards = r.gift_cards || { sold: 0, returned: 0, store_credit_issued: 0 };
  const amountIn = w("amount_in", { currency: cur });
  return {
    figures: [
      [w("sales"), String(r.sales)], [w("net_sales_in", { currency: cur }), m(r.subtotal)],
      [w("tax_in", { currency: cur }), m(r.tax)],
      [w("total_in", { currency: cur }), m(r.total)], [w("refunds"), `${r.refunds.count} · ${m(r.refunds.amount)}`],
      ...(r.returns_without_receipt && r.returns_without_receipt.count
        ? [[w("returns_without_receipt"), `${r.returns_without_receipt.count} · ${m(r.returns_without_receipt.amount)}`]]
        : []),
      ...(r.cash_rounding ? [[w("cash_rounding_in", { currency: cur }), m(r.cash_rounding)]] : []),
    ],
    giftCards: {
      caption: w("gift_cards_liability_not_sales"), heads: [w("gift_cards"), amountIn], numeric: [0, 1],
      rows: [
        [w("gift_cards_sold_liability"), m(cards.sold)],
        [w("gift_cards_returned"), m(cards.returned)],
        [w("store_credit_issued_liability"), m(cards.store_credit_issued)],
      ],
    },
    byTender: {
      caption: w("by_tender"), heads: [w("tender"), w("payments"), amountIn], numeric: [0, 1, 1],
      rows: r.by_tender.map((t) => [tenderName(t.method), String(t.count), m(t.amount)]),
    },
    byTax: {
      caption: w("by_tax"), heads: [w("tax"), w("rate"), w("taxable_amount_in", { currency: cur }), w("tax_in", { currency: cur })],
      numeric: [0, 1, 1, 1], rows: r.by_tax.map((t) => [t.name, `${t.rate}%`, m(t.base), m(t.amount)]),
    },
    topProducts: {
      caption: w("top_products"), heads: [w("sku"), w("product"), w("quantity"), amountIn], numeric: [0, 0, 1, 1],
      rows: r.top_products.map((p) => [p.sku, p.name, String(p.quantity), m(p.amount)]),
    },
  };
}

function figures(pairs) {
  return el("dl", { class: "figures" },
    ...pairs.map(([label, value]) => el("div", {}, el("dt", {}, label), el("dd", {}, value))));
}

function table({ caption, heads, rows, numeric }) {
  return el("table", { class: "data" },
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, ...heads.map((h, i) => el("th", { scope: "col", class: numeric[i] ? "num" : null }, h)))),
    el("tbody", {}, ...(rows.length
      ? rows.map((r) => el("tr", {}, ...r.map((c, i) => el("td", { class: numeric[i] ? "num" : null }, c))))
      : [el("tr", {}, el("td", { colspan: String(heads.length) }, w("none_in_this_period")))])));
}

async function showSales(event) {
  event.preventDefault();
  say($("sales-error"), "");
  const from = $("sales-from").value;
  const to = $("sales-to").value;
  const problem = periodProblem(from, to);
  if (problem) {
    say($("sales-error"), w(problem));
    return;
  }
  const out = $("sales-out");
  try {
    const r = await api("GET", "/reports/sales?" + new URLSearchParams({
      from: dayStart(from, 0, state.timezone), to: dayStart(to, 1, state.timezone),
    }));
    const cur = r.currency || state.currency;
    const m = (v) => C.formatAmount(v, cur);
    const parts = salesTables(r, state.currency, ReportCharts.tenderName);
    const mix = {
      kind: "doughnut", title: w("tender_mix"), exponent: C.exponent(cur),
      labels: r.by_tender.map((t) => ReportCharts.tenderName(t.method)), values: r.by_tender.map((t) => t.amount),
    };
    const best = {
      kind: "bar", horizontal: true, title: w("top_products"), exponent: C.exponent(cur),
      labels: r.top_products.map((p) => p.name), values: r.top_products.map((p) => p.amount),
    };
    ReportCharts.clear("chart-tenders");
    ReportCharts.clear("chart-products");
    out.replaceChildren(
      el("h2", {}, from === to ? w("sales_on", { day: from }) : w("sales_from_to", { from, to })),
      figures(parts.figures),
      table(parts.giftCards),
      ...(r.by_tender.length ? [ReportCharts.figure(el, "chart-tenders", mix, w("by_tender"))] : []),
      table(parts.byTender),
      table(parts.byTax),
      ...(r.top_products.length ? [ReportCharts.figure(el, "chart-products", best, w("top_products"))] : []),
      table(parts.topProducts),
    );
    if (r.by_tender.length) ReportCharts.draw("chart-tenders", mix, m);
    if (r.top_products.length) ReportCharts.draw("chart-products", best, m);
  } catch (err) {
    out.replaceChildren();
    say($("sales-error"), err.message);
  }
}

/** The hint that says whose clock the days are on. */
function zoneHint() {
  $("sales-zone").textContent = state.timezone
    ? w("days_in_store_zone", { zone: state.timezone })
    : w("days_on_this_clock");
}

export function wire() {
  $("sales-form").addEventListener("submit", showSales);
}

export function onReady() {
  zoneHint();
  const today = storeToday(state.timezone);
  if (!$("sales-from").value) $("sales-from").value = today;
  if (!$("sales-to").value) $("sales-to").value = today;
}

export function onLanguage() {
  zoneHint();
  // A sales report on screen is asked for again, to be said in the new language.
  if ($("sales-out").childElementCount) $("sales-form").requestSubmit();
}
