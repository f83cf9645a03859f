/* The back office's report chart: a picture of the report's table, which is always on the
 * page beside it (a screen reader reads the table; the canvas is one labelled image).
 *
 * The canvas names the books' JSON route of the same report (data-source), which keys name a
 * bar (data-labels) and which amount it shows (data-value); the figures are read again with
 * the page's session cookie, so the chart shows only what the person may read. Chart.js is
 * the till's pinned copy (static/chart.umd.min.js); it sizes the canvas through the CSSOM,
 * which the CSP allows, and nothing here sets a style attribute.
 */
"use strict";

const OfficeReports = (() => {
  // The office's blue: 6.6:1 on white (office.css).
  const COLOUR = "#0b5cad";

  /** The bars of a report: its rows' labels and amounts (minor units → major). A label names
   * its currency only when the report holds more than one. */
  function bars(report, labelKeys, valueKey) {
    const rows = report.rows || [];
    const currencies = new Set(rows.map((r) => r.currency).filter((c) => c));
    const labels = rows.map((r) => {
      const parts = labelKeys.map((k) => (r[k] === null || r[k] === undefined ? "" : String(r[k])));
      if (currencies.size > 1) parts.push(r.currency);
      return parts.filter((p) => p !== "").join(" ");
    });
    const values = rows.map((r) => (typeof r[valueKey] === "number" ? r[valueKey] / 100 : 0));
    return { labels, values };
  }

  async function draw(canvas) {
    const answer = await fetch(canvas.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!answer.ok) throw new Error(`the report did not come (${answer.status})`);
    const found = bars(await answer.json(), canvas.dataset.labels.split(","), canvas.dataset.value);
    const chart = new Chart(canvas, {
      type: "bar",
      data: { labels: found.labels, datasets: [{ label: canvas.dataset.title, data: found.values, backgroundColor: COLOUR }] },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false, // the figures are read, not watched
        plugins: { legend: { display: false } },
        scales: { y: { beginAtZero: true } },
      },
    });
    canvas.dataset.drawn = String(found.values.length); // what a test waits for
    return chart;
  }

  function start() {
    const canvas = document.getElementById("report-chart");
    if (!canvas || typeof Chart === "undefined") return; // the table is the report either way
    draw(canvas).catch((exc) => {
      const figure = canvas.closest("figure");
      if (figure) figure.hidden = true;
      console.warn(`reports chart: ${exc.message}`);
    });
  }

  return { bars, start };
})();

globalThis.OfficeReports = OfficeReports;
if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", OfficeReports.start);
  else OfficeReports.start();
}
