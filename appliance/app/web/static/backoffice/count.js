/* A stock count: the counted lines typed (or scanned), the variances shown. */
import C, { $, api, el, say } from "../comptoir.js";
import { fmt, lineEditor, parseWhole, signed, state, stockMoved, w } from "./shared.js";

/** The count's lines to send from the filled rows, or the problem ([backoffice.* word, values]). */
export function countLines(items) {
  const lines = [];
  for (const item of items) {
    const counted = parseWhole(item.counted, false);
    if (!item.sku) return { problem: ["line_has_no_sku", { line: item.line }] };
    if (counted === null) return { problem: ["count_on_line_whole", { line: item.line }] };
    lines.push({ sku: item.sku, counted });
  }
  if (!lines.length) return { problem: ["count_at_least_one", {}] };
  return { lines };
}

let editor = null;

export function wire() {
  editor = lineEditor($("count-lines"), [
    { key: "sku", words: "sku", attrs: { autocapitalize: "none" } },
    { key: "counted", words: "counted", attrs: { inputmode: "numeric", class: "qty-input" } },
  ]);
  editor.reset();

  $("count-add").addEventListener("click", () => editor.add().querySelector("input").focus());

  $("count-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("count-error"), "");
    const { lines, problem } = countLines(editor.values());
    if (problem) return say($("count-error"), w(...problem));
    try {
      const done = await api("POST", "/stock/counts", { json: { reason: $("count-reason").value.trim(), lines } });
      const off = done.lines.filter((l) => l.variance !== 0);
      $("count-done").textContent = w("count_saved", {
        count: done.lines.length, off: off.length, value: `${fmt(done.variance_value)} ${state.currency}` });
      const body = $("count-result-body");
      body.replaceChildren(...done.lines.map((l) => el("tr", {}, el("td", {}, l.sku), el("td", { class: "num" }, String(l.expected)),
        el("td", { class: "num" }, String(l.counted)), el("td", { class: "num" }, signed(l.variance)),
        el("td", { class: "num" }, fmt(l.variance_value)))));
      C.show($("count-result"), true);
      stockMoved();
      editor.reset();
      $("count-reason").value = "";
    } catch (err) {
      say($("count-error"), err.message);
    }
  });
}

export function onReady() {
  editor.words(); // written before the words arrived, it says them now
}

export function onLanguage() {
  editor.words();
}
