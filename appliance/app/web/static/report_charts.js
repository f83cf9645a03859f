/* Report charts: sales by day and by hour, the tender mix, the top products, drawn where a
 * person would rather look than read. A chart is a picture of a table that is always on the
 * page beside it: a screen reader reads the table, the canvas is one labelled image.
 *
 * Chart.js comes with the app (static/vendor/chart.umd.min.js, pinned; the box is offline).
 * It draws on a canvas and sizes it through the CSSOM, which the CSP allows; nothing here
 * sets a style attribute. Without Chart.js (a page that did not load it) only the tables show.
 */
"use strict";

const ReportCharts = (() => {
  // Told apart by lightness as well as hue (colour-blind readers), all 3:1 or more on white.
  const COLOURS = ["#1f5fa8", "#c2571a", "#2e7d4f", "#7b3fa0", "#a3325a", "#5c6b00", "#00707a", "#6d4c41"];
  const drawn = new Map(); // canvas id → chart, destroyed before the canvas is drawn again

  /** Which chart suits a period report, and its figures: {kind, labels, values, series} or null. */
  function forReport(report) {
    const rows = report.rows || [];
    const label = (key) => (report.labels && report.labels[key]) || key;
    switch (report.report) {
      case "by_day":
        return { kind: "bar", title: words("chart_by_day", "{total} by day", { total: label("total") }), labels: rows.map((r) => r.day), values: rows.map((r) => r.total) };
      case "by_hour":
        return {
          kind: "bar", title: words("chart_by_hour", "{total} by hour", { total: label("total") }),
          labels: rows.map((r) => `${String(r.hour).padStart(2, "0")}:00`), values: rows.map((r) => r.total),
        };
      case "by_tender":
        return { kind: "doughnut", title: words("tender_mix", "Tender mix"), labels: rows.map((r) => tenderName(r.method)), values: rows.map((r) => r.taken) };
      case "top_products":
        return { kind: "bar", horizontal: true, title: words("top_products", "Top products"), labels: rows.map((r) => r.name), values: rows.map((r) => r.amount) };
      default:
        return null;
    }
  }

  /** The charts' own words: the person's language on a page that has the shop's words (the
   * back office, backoffice.* keys), else the English given (node --test loads this alone). */
  function words(key, english, values) {
    const C = globalThis.Comptoir;
    const said = C ? C.t(`backoffice.${key}`, values) : null;
    if (said && said !== `backoffice.${key}`) return said;
    return english.replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
  }

  const TENDERS = {
    cash: ["tender_cash", "Cash"], card: ["tender_card", "Card"], gift_card: ["tender_gift_card", "Gift card"],
    loyalty: ["tender_points", "Points"], exchange: ["tender_exchange", "Exchange"],
  };
  function tenderName(method) {
    return TENDERS[method] ? words(...TENDERS[method]) : String(method).replace(/_/g, " ");
  }

  /** A <figure> holding a labelled canvas, ready for draw(); `table` says where the same
   * figures are in words. */
  function figure(el, id, spec, table) {
    const canvas = el("canvas", {
      id, role: "img",
      "aria-label": words("chart_label", "Chart: {title}. The same figures are in the table {table}.", { title: spec.title, table }),
    });
    return el("figure", { class: "chart" },
      el("figcaption", {}, spec.title),
      el("div", { class: `chart-box${spec.horizontal ? " tall" : ""}` }, canvas));
  }

  /** Draws `spec` on the canvas with this id; `money` formats an amount for the axis and tips. */
  function draw(id, spec, money) {
    const old = drawn.get(id);
    if (old) old.destroy();
    drawn.delete(id);
    const canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") return null;
    const round = spec.kind === "doughnut";
    const chart = new Chart(canvas, {
      type: spec.kind,
      data: {
        labels: spec.labels,
        datasets: [{
          label: spec.title,
          data: spec.values.map((v) => v / 10 ** (spec.exponent ?? 2)),
          backgroundColor: round ? spec.labels.map((_, i) => COLOURS[i % COLOURS.length]) : COLOURS[0],
          borderWidth: round ? 2 : 0,
        }],
      },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false, // the figures are read, not watched; and nobody waits for them
        plugins: {
          legend: { display: round, position: "right" },
          tooltip: { callbacks: { label: (ctx) => ` ${money(Math.round(ctx.raw * 10 ** (spec.exponent ?? 2)))}` } },
        },
        scales: round ? {} : {
          [spec.horizontal ? "x" : "y"]: { beginAtZero: true, ticks: { callback: (v) => money(Math.round(v * 10 ** (spec.exponent ?? 2))) } },
        },
      },
    });
    drawn.set(id, chart);
    return chart;
  }

  /** Takes a chart off the page (the canvas's figure goes with the caller's content). */
  function clear(id) {
    const old = drawn.get(id);
    if (old) old.destroy();
    drawn.delete(id);
  }

  return { forReport, figure, draw, clear, tenderName };
})();

// The back office's report screens and node --test (tests/js) import this file as a module,
// where a top-level const is not global: they find it on globalThis.
globalThis.ReportCharts = ReportCharts;
