/* The till: the cash tender (quick-cash buttons, the due at the coin, change) and a sale completed. */

import C, { $, api, el, say, t } from "../comptoir.js";
import { saleDone, state, tenderKey } from "./state.js";
import { showPointsEarned } from "./customers.js";
import { rememberLast } from "./drawer.js";
import { showCardsIssued } from "./giftcards.js";
import { announce, reload, setSale, showError } from "./sale.js";
import { refreshShift, words } from "./shifts.js";

/** What cash settles the sale with now: the due rounded to the store's smallest coin
 *  (the server's totals.cash_due), the due itself where the store does not round. */
export function cashDue(sale) {
  const t = sale.totals;
  return typeof t.cash_due === "number" ? t.cash_due : t.due;
}

/** Why a typed amount is refused, in the shop's words (common.js readAmount). */
export function amountError(text) {
  return C.readAmount(text, state.currency).error || t("till.not_an_amount", { text, currency: state.currency });
}

/** Exact, then the next round amounts a customer is likely to hand over. */
export function quickAmounts(due, currency = state.currency) {
  const exp = C.exponent(currency);
  const unit = 10 ** exp;
  const steps = exp === 0 ? [100, 500, 1000, 2000, 5000, 10000] : [1, 5, 10, 20, 50, 100].map((s) => s * unit);
  const out = [];
  for (const step of steps) {
    const next = Math.ceil(due / step) * step;
    if (next > due && !out.includes(next)) out.push(next);
  }
  return out.sort((a, b) => a - b).slice(0, 4);
}

/** The due and the quick-cash buttons, from what is still due now (after every tender):
 *  Exact is the due rounded for cash, the notes the next round amounts above it. */
function showCashDue(sale) {
  const due = sale.totals.due;
  const cash = cashDue(sale);
  $("pay-due").textContent = C.moneyLocal(due, state.currency) +
    (cash !== due ? t("till.cash_due_rounded", { amount: C.formatLocal(cash, state.currency) }) : "");
  const quick = $("quick-cash");
  quick.replaceChildren();
  const addQuick = (amount, label) => {
    const button = el("button", { type: "button", class: "quick", "data-amount": String(amount) },
      label ? el("span", { class: "quick-label" }, label + " ") : null,
      el("span", {}, C.formatLocal(amount, state.currency), el("span", { class: "sr-only" }, " " + state.currency)));
    button.addEventListener("click", () => tender(amount));
    quick.append(button);
  };
  if (cash > 0) addQuick(cash, t("till.exact"));
  for (const amount of quickAmounts(cash)) addQuick(amount);
}

export function openPay() {
  if ($("pay-button").disabled) return;
  showCashDue(state.sale);
  $("pay-input").value = "";
  state.confirmCash = null;
  C.openDialog($("pay-dialog"), $("pay-input"));
}

/** Cash far beyond what the sale needs is a typing slip more often than a big note: above
 *  ten times the cash due and above the largest note, the cashier confirms it first. */
function outsized(amount) {
  const notes = C.settings().denominations || state.denominations || [];
  const largest = notes.length ? Math.max(...notes) : 100 * 10 ** C.exponent(state.currency);
  return amount > 10 * cashDue(state.sale) && amount > largest;
}

async function tender(amount) {
  if (state.busy) return; // a double tap pays once
  state.busy = true;
  say($("pay-error"), "");
  for (const b of $("pay-dialog").querySelectorAll("button")) b.disabled = true;
  // One key per tender attempt; a retry of the same amount after a failure reuses it.
  const key = tenderKey("cash", amount);
  try {
    const sale = await api("POST", `/sales/${state.sale.id}/payments`, {
      json: { method: "cash", amount },
      headers: { "Idempotency-Key": key },
    });
    state.tender = null;
    if (sale.status === "completed") {
      C.closeDialog($("pay-dialog"));
      await completed(sale);
    } else {
      setSale(sale);
      showCashDue(sale); // Exact and the notes follow what is still due
      $("pay-input").value = "";
      say($("pay-error"), t("till.cash_taken_part", {
        amount: C.formatLocal(amount, state.currency), due: C.moneyLocal(sale.totals.due, state.currency) }));
      $("pay-input").focus();
    }
  } catch (err) {
    if (err.status && err.status !== 0) state.tender = null; // a real answer: the next try is new
    say($("pay-error"), words(err));
    if (err.code === "no_open_shift" || err.code === "drawer_in_use") refreshShift();
    if (err.code === "sale_paid") await reload();
  } finally {
    state.busy = false;
    for (const b of $("pay-dialog").querySelectorAll("button")) b.disabled = false;
  }
}

export async function completed(sale) {
  saleDone();
  rememberLast(sale);
  setSale(sale);
  const local = (v) => C.formatLocal(v, state.currency);
  $("change-amount").textContent = local(sale.change);
  $("change-currency").textContent = state.currency;
  const byMethod = new Map();
  for (const p of sale.payments) byMethod.set(p.method, (byMethod.get(p.method) || 0) + p.tendered);
  const names = { cash: t("till.cash_received"), card: t("till.card"), gift_card: t("till.gift_card"), loyalty: t("till.points") };
  const parts = Array.from(byMethod, ([m, v]) => `${names[m] || m} ${local(v)}`);
  const rounding = sale.rounding ? [t("till.rounding", { amount: local(sale.rounding) })] : [];
  $("change-note").textContent = [...parts, t("till.total_amount", { amount: local(sale.totals.total) }), ...rounding].join(" · ");
  // A gift card taken while the office did not answer (this tender or an earlier one): a
  // plain note, the sale is done; the receipt's tender line says it too.
  C.show($("gift-offline-note"), sale.office === "offline" || state.giftOffline === sale.id);
  C.show($("change-box"), true);
  $("receipt-number").textContent = sale.receipt_number || "";
  $("receipt-text").textContent = t("till.loading_receipt");
  announce(t("till.announce_complete", { change: C.moneyLocal(sale.change, state.currency) }));
  showCardsIssued(sale);
  $("new-sale-button").focus();
  showPointsEarned(sale);
  try {
    $("receipt-text").textContent = await api("GET", `/sales/${sale.id}/receipt?format=text`, { text: true });
  } catch (err) {
    $("receipt-text").textContent = "";
    showError(t("till.receipt_not_shown", { why: err.message }));
  }
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  $("pay-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("pay-input").value.trim();
    if (!text) {
      say($("pay-error"), t("till.type_cash_received"));
      return;
    }
    const amount = C.parseAmount(text, state.currency);
    if (amount === null || amount <= 0) {
      say($("pay-error"), amount === 0 ? t("till.cash_more_than_zero") : amountError(text));
      return;
    }
    if (outsized(amount) && state.confirmCash !== amount) {
      state.confirmCash = amount;
      say($("pay-error"), t("till.cash_outsized", {
        amount: C.moneyLocal(amount, state.currency), due: C.moneyLocal(cashDue(state.sale), state.currency) }));
      $("pay-input").focus();
      return;
    }
    state.confirmCash = null;
    tender(amount);
  });
  $("pay-input").addEventListener("input", () => {
    if (state.confirmCash !== null) {
      state.confirmCash = null;
      say($("pay-error"), "");
    }
  });
}
