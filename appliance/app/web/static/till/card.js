/* The till: the Card tender, on the payment terminal (terminal.js), and a card not present
 * keyed in (a manager, where the store allows it): the card network's answer, declines, a
 * payment still being checked. */

import C, { $, api, say, t } from "../comptoir.js";
import { mayKeyCards, state, tenderKey } from "./state.js";
import { DECLINES } from "./constants.js";
import { amountError, completed } from "./payment.js";
import { fmt, reload, setSale } from "./sale.js";
import { SHIFT_WORDS } from "./shifts.js";
import { hasTerminal, openTerminal } from "./terminal.js";

/** The Card tender: the payment terminal. */
export function openCard(amount) {
  if ($("card-button").disabled) return;
  openTerminal(amount);
}

/** "Rest by card": the terminal when the till has one, else the number keyed in. */
export function openRestByCard() {
  if (hasTerminal()) openCard();
  else openKeyed();
}

/** Card not present: the number keyed in, once the store and the person's role allow it. */
export function openKeyed(amount) {
  if ($("keyed-button").disabled || !mayKeyCards()) return;
  const due = state.sale.totals.due;
  $("card-due").textContent = C.moneyLocal(due, state.currency);
  $("card-amount").value = C.formatAmount(amount && amount < due ? amount : due, state.currency).replace(/,/g, "");
  $("card-number").value = "";
  $("card-month").value = "";
  $("card-year").value = "";
  say($("card-progress"), "");
  C.openDialog($("card-dialog"), $("card-number"));
}

function cardWords(err) {
  if (err.code === "card_declined") {
    const code = (/\(([a-z_]+)\)/.exec(err.message) || [])[1];
    const why = DECLINES[code] ? t(DECLINES[code]) : code ? code.replace(/_/g, " ") : t("till.decline_no_reason");
    return t("till.card_declined", { why });
  }
  return err.message;
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  $("keyed-button").addEventListener("click", () => openKeyed());
  $("card-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const amountText = $("card-amount").value.trim();
    const amount = C.parseAmount(amountText, state.currency);
    const due = state.sale.totals.due;
    if (amount === null || amount <= 0 || amount > due) {
      say($("card-error"), amount === null ? amountError(amountText)
        : t("till.card_amount_range", { due: C.moneyLocal(due, state.currency) }));
      $("card-amount").focus();
      return;
    }
    const number = $("card-number").value.replace(/[\s-]/g, "");
    const month = $("card-month").value.trim();
    const year = $("card-year").value.trim();
    if (!/^\d{12,19}$/.test(number)) {
      say($("card-error"), t("till.card_number_digits"));
      $("card-number").focus();
      return;
    }
    if (!/^\d{1,2}$/.test(month) || Number(month) < 1 || Number(month) > 12) {
      say($("card-error"), t("till.expiry_month_range"));
      $("card-month").focus();
      return;
    }
    if (!/^\d{2}(\d{2})?$/.test(year)) {
      say($("card-error"), t("till.expiry_year_digits"));
      $("card-year").focus();
      return;
    }
    const fullYear = year.length === 2 ? 2000 + Number(year) : Number(year);
    state.busy = true;
    say($("card-error"), "");
    say($("card-progress"), t("till.asking_card_network", { amount: C.moneyLocal(amount, state.currency) }));
    for (const b of $("card-dialog").querySelectorAll("button")) b.disabled = true;
    const key = tenderKey("card", amount);
    try {
      const sale = await api("POST", `/sales/${state.sale.id}/payments`, {
        json: { method: "card", amount, card: { number, exp_month: Number(month), exp_year: fullYear } },
        headers: { "Idempotency-Key": key },
      });
      state.tender = null;
      $("card-number").value = "";
      const got = sale.card ? sale.card.approved_amount : amount;
      const last4 = sale.card && sale.card.last4 ? t("till.card_ending", { last4: sale.card.last4 }) : "";
      if (sale.status === "completed") {
        C.closeDialog($("card-dialog"));
        await completed(sale);
      } else {
        setSale(sale);
        $("card-due").textContent = C.moneyLocal(sale.totals.due, state.currency);
        $("card-amount").value = C.formatAmount(sale.totals.due, state.currency).replace(/,/g, "");
        say($("card-progress"), t("till.card_approved_part", { amount: fmt(got), card: last4, due: C.moneyLocal(sale.totals.due, state.currency) }));
      }
    } catch (err) {
      // payment_pending: the outcome is unknown; a retry must keep the same key.
      if (err.status !== 0 && err.code !== "payment_pending") {
        state.tender = null; // a real answer: the next try is a new payment
      }
      if (err.status !== 0) $("card-number").value = ""; // no card number left on screen
      say($("card-progress"), "");
      say($("card-error"), SHIFT_WORDS[err.code] ? t(SHIFT_WORDS[err.code]) : cardWords(err));
      if (err.code === "sale_paid" || err.code === "payment_pending") await reload();
    } finally {
      state.busy = false;
      for (const b of $("card-dialog").querySelectorAll("button")) b.disabled = false;
    }
  });
}
