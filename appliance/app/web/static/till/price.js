/* The till: a line's price overridden, with its reason. */

import C, { $, api, say } from "../comptoir.js";
import { state } from "./state.js";
import { approvalBox, reasonGiven, withApproval } from "./approval.js";
import { amountError } from "./payment.js";
import { announce, fmt, selectedLine, setSale } from "./sale.js";

let priceApproval; // set by wire(): it reads the page

export function openPrice() {
  const line = selectedLine();
  if ($("price-button").disabled || !line) return;
  priceApproval.reset();
  const shelf = line.original_price !== null && line.original_price !== undefined ? line.original_price : line.unit_price;
  $("price-item").textContent = C.t("till.price_line", { line: line.line, name: line.name, price: fmt(shelf) });
  $("price-value").value = "";
  $("price-reason").value = "";
  C.openDialog($("price-dialog"), $("price-value"));
  if (priceApproval.askUnlessAllowed("price_override", "till.role_may_not_change_prices")) $("price-value").focus();
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  priceApproval = approvalBox("price");

  $("price-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const line = selectedLine();
    if (state.busy || !line) return;
    const text = $("price-value").value.trim();
    const price = C.parseAmount(text, state.currency);
    if (price === null) {
      say($("price-error"), amountError(text));
      $("price-value").focus();
      return;
    }
    const reason = reasonGiven("price-reason", $("price-error"), "till.say_why_price");
    if (reason === null) return;
    state.busy = true;
    say($("price-error"), "");
    const sale = await withApproval(priceApproval, "price_override", $("price-error"),
      (headers) => api("POST", `/sales/${state.sale.id}/items/${line.line}/price`, { json: { price, reason }, headers }),
      (err) => err.code === "forbidden");
    state.busy = false;
    if (!sale) return;
    setSale(sale);
    announce(C.t("till.announce_price", { name: line.name, price: fmt(price), total: fmt(sale.totals.total) }));
    C.closeDialog($("price-dialog"));
  });
}
