/* The till: discounts on a line or on the whole sale. */

import C, { $, api, say } from "../comptoir.js";
import { state } from "./state.js";
import { approvalBox, withApproval } from "./approval.js";
import { amountError } from "./payment.js";
import { announce, fmt, liveLines, selectedLine, setSale, whileBusy } from "./sale.js";

let discountApproval; // set by wire(): it reads the page

export function openDiscount(order) {
  const sale = state.sale;
  if (state.done || !sale) return;
  const line = selectedLine();
  if (order ? $("order-discount-button").disabled : $("discount-button").disabled || !line) return;
  state.discountFor = order ? { order: true } : { line: line.line };
  discountApproval.reset();
  const current = order ? sale.order_discount : line.line_discount;
  $("discount-title").textContent = order ? C.t("till.discount_the_whole_sale") : C.t("till.discount_this_line");
  $("discount-target").textContent = order
    ? C.t("till.discount_lines", { count: liveLines(sale).length, subtotal: fmt(sale.totals.subtotal) })
    : C.t("till.void_what", { line: line.line, name: line.name, quantity: line.quantity, amount: fmt(line.amount) });
  const kind = current ? current.kind : "percent";
  $(kind === "percent" ? "discount-percent" : "discount-amount").checked = true;
  $("discount-value").value = current
    ? (kind === "percent" ? C.formatPercent(current.value) : C.formatAmount(current.value, state.currency))
    : "";
  $("discount-reason").value = current ? current.reason || "" : "";
  C.show($("discount-remove"), !!current);
  discountHint();
  C.openDialog($("discount-dialog"), $("discount-value"));
}

function discountKind() {
  return $("discount-percent").checked ? "percent" : "amount";
}

function discountHint() {
  const limit = state.me && state.me.role && state.limits ? state.limits[state.me.role] : null;
  $("discount-hint").textContent = discountKind() === "percent"
    ? C.t("till.percent_off_hint") + " " + (limit !== null && limit !== undefined
      ? C.t("till.over_limit_needs_supervisor", { limit }) : C.t("till.over_role_limit_needs_supervisor"))
    : C.t("till.amount_off_hint", { currency: state.currency });
}

function discountPath() {
  const target = state.discountFor;
  return target.order ? `/sales/${state.sale.id}/discount` : `/sales/${state.sale.id}/items/${target.line}/discount`;
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  discountApproval = approvalBox("discount");
  for (const radio of document.querySelectorAll("input[name=discount-kind]")) radio.addEventListener("change", discountHint);

  $("discount-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy || !state.discountFor) return;
    const kind = discountKind();
    const text = $("discount-value").value.trim();
    const value = kind === "percent" ? C.parsePercent(text) : C.parseAmount(text, state.currency);
    if (value === null || value <= 0 || (kind === "percent" && value > 10000)) {
      say($("discount-error"), kind === "percent"
        ? C.t("till.not_a_percentage", { text })
        : value === 0 ? C.t("till.discount_more_than_zero") : amountError(text));
      $("discount-value").focus();
      return;
    }
    const reason = $("discount-reason").value.trim();
    state.busy = true;
    say($("discount-error"), "");
    const sale = await withApproval(discountApproval, "discount_over_limit", $("discount-error"),
      (headers) => api("POST", discountPath(), { json: { kind, value, reason }, headers }),
      (err) => err.code === "discount_needs_approval");
    state.busy = false;
    if (!sale) return;
    setSale(sale);
    announce(C.t("till.announce_discount_given", { total: fmt(sale.totals.total) }));
    C.closeDialog($("discount-dialog"));
  });

  $("discount-remove").addEventListener("click", async () => {
    if (state.busy || !state.discountFor) return;
    await whileBusy($("discount-error"), async () => {
      const sale = await api("DELETE", discountPath());
      setSale(sale);
      announce(C.t("till.announce_discount_removed", { total: fmt(sale.totals.total) }));
      C.closeDialog($("discount-dialog"));
    });
  });
}
