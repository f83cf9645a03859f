/* The till: the weight of an item sold by weight. */

import C, { $, say } from "../comptoir.js";
import { state } from "./state.js";
import { newSale } from "./sale.js";
import { runQueue } from "./scan.js";

let weightAnswer = null;

/** Kilograms as typed ("0.45", "1,250"): whole grams, 1 g to 99.999 kg; else null. */
function parseWeight(text) {
  const m = /^(\d{0,2})(?:[.,](\d{0,3}))?$/.exec(text.trim());
  if (!m || (!m[1] && !m[2])) return null;
  const grams = Number(m[1] || "0") * 1000 + Number((m[2] || "").padEnd(3, "0"));
  return grams >= 1 && grams <= 99999 ? grams : null;
}

/** Resolves to the grams typed, or null when the cashier cancels. */
export function askWeight(what) {
  $("weight-item").textContent = what;
  $("weight-input").value = "";
  say($("weight-error"), "");
  return new Promise((resolve) => {
    weightAnswer = resolve;
    C.openDialog($("weight-dialog"), $("weight-input"));
  });
}

/** Queues an item picked in a list or on a button (by its sku). */
export function pickProduct(product) {
  if (state.done) newSale({ keepFocus: true });
  state.queue.push({ bodies: [{ sku: product.sku }], name: product.name });
  return runQueue();
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  $("weight-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const grams = parseWeight($("weight-input").value);
    if (grams === null) {
      say($("weight-error"), C.t("till.weight_range"));
      $("weight-input").focus();
      return;
    }
    const done = weightAnswer;
    weightAnswer = null;
    C.closeDialog($("weight-dialog"));
    if (done) done(grams);
  });
  $("weight-dialog").addEventListener("close", () => {
    const done = weightAnswer;
    weightAnswer = null;
    if (done) done(null);
  });
}
