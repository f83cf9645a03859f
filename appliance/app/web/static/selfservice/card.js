/* Paying by card: the card fields and their on-screen keypad, the payment, the receipt. The
 * card number lives in its input field until the payment request is sent, and the fields are
 * cleared whatever the answer. */
import { $, closeDialog, openDialog, say } from "../comptoir.js";
import { openApproval } from "./approval.js";
import { api, describe } from "./kiosk.js";
import { digitsOnly, keyButton, nextField, typeDigit } from "./keys.js";
import { render } from "./sale.js";
import { showView } from "./screen.js";
import { awaitingApproval, state } from "./state.js";
import { t } from "./words.js";

const cardFields = ["card-number", "card-month", "card-year"];
let cardField = "card-number";

/** The card typed is complete enough to send: 12 digits or more, a month, a two-digit year. */
export function cardComplete(number, month, year) {
  return number.length >= 12 && month >= 1 && month <= 12 && year.length === 2;
}

/** The payment's body: the whole amount due, by card. */
export function cardPayment(due, number, month, year) {
  return { method: "card", amount: due, card: { number, exp_month: month, exp_year: 2000 + Number(year) } };
}

/** Why a card payment failed, in the words a customer reads. */
export function refusal(err) {
  if (err.code === "card_declined" || err.code === "card_refused") return t("declined");
  if (err.code === "attendant_approval_needed") return t("approval_needed");
  return describe(err);
}

export function buildKeypad() {
  const pad = $("card-keypad");
  for (const key of pad.querySelectorAll(".ss-key")) key.remove();
  const press = (digit) => () => {
    const input = $(cardField);
    input.value = typeDigit(input.value, input.maxLength, digit);
    if (cardField !== "card-number" && input.value.length === input.maxLength) nextCardField();
    else input.focus();
  };
  for (const digit of ["1", "2", "3", "4", "5", "6", "7", "8", "9"]) pad.append(keyButton(digit, press(digit)));
  pad.append(keyButton(t("key_clear"), () => { $(cardField).value = ""; $(cardField).focus(); }, "ss-key-word"));
  pad.append(keyButton("0", press("0")));
  pad.append(keyButton("⌫", () => {
    const input = $(cardField);
    input.value = input.value.slice(0, -1);
    input.focus();
  }, "ss-key-word", t("key_delete")));
  pad.append(keyButton(t("key_next"), nextCardField, "ss-key-wide"));
}

function nextCardField() {
  cardField = nextField(cardFields, cardField);
  $(cardField).focus();
}

export function clearCard() {
  for (const id of cardFields) $(id).value = "";
  cardField = "card-number";
}

async function showReceipt(id) {
  let text = "";
  try {
    text = await api("GET", `/sales/${id}/receipt?format=text`, { text: true });
  } catch (err) {
    text = "";
  }
  $("receipt-text").textContent = text;
  showView("done");
  $("finish-button").focus();
}

export function wire() {
  for (const id of cardFields) $(id).addEventListener("focus", () => { cardField = id; });
  for (const id of cardFields) {
    $(id).addEventListener("input", () => {
      const input = $(id);
      input.value = digitsOnly(input.value, input.maxLength);
    });
  }

  $("pay-button").addEventListener("click", () => {
    if (awaitingApproval(state.sale)) {
      say($("sale-error"), t("approval_needed"));
      openApproval();
      return;
    }
    clearCard();
    say($("pay-error"), "");
    openDialog($("pay-dialog"), $("card-number"));
  });

  $("pay-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const sale = state.sale;
    if (state.busy || !sale) return;
    const number = $("card-number").value;
    const month = Number($("card-month").value);
    const year = $("card-year").value;
    if (!cardComplete(number, month, year)) {
      say($("pay-error"), t("card_incomplete"));
      return;
    }
    state.busy = true;
    $("pay-submit").disabled = true;
    say($("pay-error"), "");
    const body = cardPayment(sale.totals.due, number, month, year);
    clearCard(); // the number now lives only in the request being sent
    try {
      const answer = await api("POST", `/sales/${sale.id}/payments`, {
        json: body, headers: { "Idempotency-Key": crypto.randomUUID() },
      });
      body.card = null;
      render(answer);
      if (answer.status === "completed") {
        closeDialog($("pay-dialog"));
        await showReceipt(answer.id);
      } else {
        say($("pay-error"), t("partial"));
        $("card-number").focus();
      }
    } catch (err) {
      body.card = null;
      say($("pay-error"), refusal(err));
      $("card-number").focus();
    } finally {
      state.busy = false;
      $("pay-submit").disabled = false;
    }
  });
}
