/* The till: gift card and points tenders. */

import C, { $, api, say } from "../comptoir.js";
import { state, tenderKey } from "./state.js";
import { pointsWords, refreshCustomer } from "./customers.js";
import { amountError, completed } from "./payment.js";
import { announce, fmt, reload, setSale, showError } from "./sale.js";
import { words } from "./shifts.js";
import { approvalBox } from "./approval.js";

let pointsApproval;

/** A tender other than cash or card: `refused(err)` may take a refusal over (an approval to
 * ask for) instead of the error being said. */
async function payOther(dialog, method, amount, json, extra, onPart, headers = {}, refused = () => false) {
  state.busy = true;
  const buttons = dialog.querySelectorAll("button");
  for (const b of buttons) b.disabled = true;
  const errorNode = dialog.querySelector("[role=alert]");
  say(errorNode, "");
  try {
    const sale = await api("POST", `/sales/${state.sale.id}/payments`, {
      json: { method, amount, ...json },
      headers: { ...headers, "Idempotency-Key": tenderKey(method, amount, extra) },
    });
    state.tender = null;
    if (sale.status === "completed") {
      C.closeDialog(dialog);
      await completed(sale);
    } else {
      setSale(sale);
      await onPart(sale);
    }
    return true;
  } catch (err) {
    if (err.status !== 0) state.tender = null;
    if (!refused(err)) say(errorNode, words(err));
    if (err.code === "sale_paid") await reload();
    return false;
  } finally {
    state.busy = false;
    for (const b of buttons) b.disabled = false;
  }
}

export function openGift() {
  if ($("gift-button").disabled || state.busy) return;
  const due = state.sale.totals.due;
  $("gift-due").textContent = C.moneyLocal(due, state.currency);
  $("gift-amount").value = C.formatAmount(due, state.currency).replace(/,/g, "");
  $("gift-code").value = "";
  say($("gift-balance"), "");
  C.openDialog($("gift-dialog"), $("gift-code"));
}

export async function checkGiftBalance() {
  const code = $("gift-code").value.trim();
  say($("gift-error"), "");
  if (!code) {
    say($("gift-error"), C.t("till.type_gift_card_number"));
    $("gift-code").focus();
    return;
  }
  if (state.busy) return;
  state.busy = true;
  try {
    const card = await api("POST", "/gift-cards/balance", { json: { code } });
    let note = C.t("till.card_balance", { code: card.code, balance: C.moneyLocal(card.balance, card.currency || state.currency) });
    if (card.expired) note += C.t("till.card_expired_note");
    else if (card.status !== "active") note += ` (${card.status === "pending" ? C.t("till.card_not_active_yet") : card.status})`;
    say($("gift-balance"), note + ".");
    const due = state.sale ? state.sale.totals.due : 0;
    if (card.status === "active" && !card.expired && card.balance > 0) {
      $("gift-amount").value = C.formatAmount(Math.min(due, card.balance), state.currency).replace(/,/g, "");
    }
  } catch (err) {
    say($("gift-balance"), "");
    say($("gift-error"), err.message);
  } finally {
    state.busy = false;
  }
}

export async function openPoints() {
  if (state.busy || !state.sale || state.done) return;
  if (!state.customer) {
    if (state.sale.status === "open" && state.sale.totals.due > 0) {
      showError(C.t("till.name_customer_first"));
    }
    return;
  }
  if ($("points-button").disabled) return;
  const due = state.sale.totals.due;
  $("points-due").textContent = C.moneyLocal(due, state.currency);
  $("points-balance").textContent = C.t("till.customer_points", { name: state.customer.name, points: pointsWords(state.customer) });
  $("points-amount").value = "";
  $("points-card").value = "";
  pointsApproval.reset();
  // Named by a scan of their card, the customer has shown it: nothing more to ask.
  C.show($("points-card-box"), !state.customer.card_shown);
  C.openDialog($("points-dialog"), $("points-amount"));
  const fresh = await refreshCustomer();
  if (fresh && $("points-dialog").open) {
    $("points-balance").textContent = C.t("till.customer_points", { name: fresh.name, points: pointsWords(fresh) });
    if (!$("points-amount").value) {
      $("points-amount").value = C.formatAmount(Math.min(due, fresh.points_value), state.currency).replace(/,/g, "");
      $("points-amount").select();
    }
  }
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  pointsApproval = approvalBox("points");
  $("gift-check").addEventListener("click", checkGiftBalance);

  $("gift-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy || !state.sale) return;
    const code = $("gift-code").value.trim();
    const text = $("gift-amount").value.trim();
    const amount = C.parseAmount(text, state.currency);
    const due = state.sale.totals.due;
    if (!code) {
      say($("gift-error"), C.t("till.type_gift_card_number"));
      $("gift-code").focus();
      return;
    }
    if (amount === null || amount <= 0 || amount > due) {
      say($("gift-error"), amount === null ? amountError(text)
        : C.t("till.amount_range", { due: C.moneyLocal(due, state.currency) }));
      $("gift-amount").focus();
      return;
    }
    await payOther($("gift-dialog"), "gift_card", amount, { gift_card: code }, code, (sale) => {
      $("gift-due").textContent = C.moneyLocal(sale.totals.due, state.currency);
      $("gift-amount").value = C.formatAmount(sale.totals.due, state.currency).replace(/,/g, "");
      $("gift-code").value = "";
      let note = C.t("till.taken_from_card", { amount: fmt(amount), due: C.moneyLocal(sale.totals.due, state.currency) });
      if (sale.office === "offline") {
        state.giftOffline = sale.id; // said again when the sale completes
        note += " " + C.t("till.gift_card_offline");
      }
      say($("gift-balance"), note);
      $("gift-code").focus();
    });
  });

  $("points-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy || !state.sale || !state.customer) return;
    const text = $("points-amount").value.trim();
    const amount = C.parseAmount(text, state.currency);
    const due = state.sale.totals.due;
    if (amount === null || amount <= 0 || amount > due) {
      say($("points-error"), amount === null ? amountError(text)
        : C.t("till.amount_range", { due: C.moneyLocal(due, state.currency) }));
      $("points-amount").focus();
      return;
    }
    const card = $("points-card").value.trim();
    let headers;
    try {
      headers = await pointsApproval.headers("points_without_card");
    } catch (err) {
      say($("points-error"), err.message);
      pointsApproval.focusPassword();
      return;
    }
    const askApproval = (err) => {
      // Without the card the cashier's role stops here: a supervisor may approve, or the card be scanned.
      if (err.status !== 403 || err.code !== "forbidden" || pointsApproval.asked) return false;
      say($("points-error"), "");
      pointsApproval.ask(err.message);
      return true;
    };
    const json = card ? { loyalty_card: card } : {};
    const ok = await payOther($("points-dialog"), "loyalty", amount, json, `${state.customer.id}:${card}`, async (sale) => {
      $("points-due").textContent = C.moneyLocal(sale.totals.due, state.currency);
      C.closeDialog($("points-dialog"));
      announce(C.t("till.paid_with_points", { amount: fmt(amount), due: C.moneyLocal(sale.totals.due, state.currency) }));
    }, headers, askApproval);
    if (ok) {
      pointsApproval.reset();
      await refreshCustomer();
    } else if (!pointsApproval.asked) $("points-amount").focus();
  });
}
