/* Paying by card on the shop's payment terminal: the customer taps, inserts or swipes the
 * card there, and never types a card number on this screen. The payment is asked for at once
 * (wait 0: the till answers before the card is presented), then followed through the
 * terminal's live state until its outcome; while it waits the customer may cancel it. A till
 * without a terminal takes no card at self-service at all: the screen says to pay at a
 * staffed till. */
import { $, closeDialog, openDialog, say } from "../comptoir.js";
import { callAttendant, openApproval } from "./approval.js";
import { api, describe } from "./kiosk.js";
import { render } from "./sale.js";
import { showView } from "./screen.js";
import { awaitingApproval, state } from "./state.js";
import { t } from "./words.js";

// How often the screen asks the till what the terminal says: often enough that "Enter your
// PIN" shows while the customer looks for it, and a light read (one row) for the till.
const FOLLOW_MS = 500;

/** Whether this till has a payment terminal: GET /terminal/status answers 404 without one;
 * anything else that fails is thrown (the screen tries again, as for its other settings). */
export async function findTerminal(get = api) {
  try {
    await get("GET", "/terminal/status");
    return true;
  } catch (err) {
    if (err.status === 404 && err.code === "terminal_not_configured") return false;
    throw err;
  }
}

/** The words of the terminal's live state (TerminalAttempt.terminal_state in docs/api.md):
 * "in progress on the terminal" where its protocol tells no more (Caisse-AP). */
export function stateWords(live) {
  const words = {
    waiting_for_card: "terminal_waiting_for_card",
    pin: "terminal_pin",
    processing: "terminal_processing",
    in_progress: "terminal_in_progress",
    unknown: "terminal_checking",
    checking: "terminal_checking",
  };
  return words[live] || "terminal_in_progress";
}

/** Why a card was declined, as a customer reads it: the terminal's own reason is for staff
 * (and differs by acquirer), so only the reasons a customer can act on are told apart. */
export function declineWords(reason) {
  const why = (reason || "").toLowerCase();
  if (/fund|balance|provision/.test(why)) return "terminal_declined_funds";
  if (/\bpin\b|code/.test(why)) return "terminal_declined_pin";
  if (/expir/.test(why)) return "terminal_declined_expired";
  return "terminal_declined";
}

/** What an ended payment says (a key of the words), and whether trying again is offered:
 * nothing was charged after a decline, a cancel or a terminal that did not take it. */
export function outcome(attempt) {
  if (attempt.status === "declined") return { key: declineWords(attempt.decline_reason), retry: true };
  if (attempt.status === "cancelled") return { key: "terminal_cancelled", retry: true };
  if (attempt.status === "failed") return { key: "terminal_failed", retry: true };
  return { key: "terminal_trouble", retry: false }; // given back, flagged, or unknown: staff's
}

/** The same for a payment request the till refused. */
export function refusal(err) {
  if (err.code === "card_declined") {
    // "the card was declined (REASON)": the terminal's reason, read only to choose the words.
    const reason = /\(([^)]*)\)\s*$/.exec(err.message || "");
    return { key: declineWords(reason ? reason[1] : ""), retry: true };
  }
  if (err.code === "payment_cancelled") return { key: "terminal_cancelled", retry: true };
  if (err.code === "terminal_unavailable") return { key: "terminal_failed", retry: true };
  if (err.code === "attendant_approval_needed") return { key: "approval_needed", retry: false };
  if (err.code === "card_reversed" || err.code === "payment_pending") return { key: "terminal_trouble", retry: false };
  return { text: describe(err), retry: true };
}

let following = 0; // which payment the screen follows; a new one (or a reset) ends the last
let cancelAsked = 0; // the payment the customer cancelled before the till had named it

function live(key) {
  $("terminal-state").textContent = key ? t(key) : "";
}

function waiting(on) {
  $("terminal-prompt").hidden = !on;
  $("terminal-cancel").hidden = !on;
  $("terminal-cancel").disabled = false;
  delete $("terminal-cancel").dataset.attempt;
  for (const id of ["terminal-retry", "terminal-staff", "terminal-back", "terminal-hint"]) $(id).hidden = on;
}

function ended(said) {
  state.paying = false;
  live("");
  waiting(false);
  say($("pay-error"), said.text || t(said.key));
  $("terminal-retry").hidden = !said.retry;
  $("terminal-hint").hidden = !said.retry;
  (said.retry ? $("terminal-retry") : $("terminal-staff")).focus();
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

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function follow(attempt, mine) {
  let misses = 0;
  while (attempt.status === "pending") {
    live(stateWords(attempt.terminal_state || attempt.state));
    if (!$("terminal-cancel").dataset.attempt) {
      $("terminal-cancel").dataset.attempt = String(attempt.id);
      if (cancelAsked === mine) cancelPayment();
    }
    await pause(FOLLOW_MS);
    if (mine !== following) return;
    try {
      attempt = await api("GET", `/sales/${attempt.sale_id}/payments/terminal/${attempt.id}`);
      misses = 0;
    } catch (err) {
      // The till away a moment: the terminal still has the payment, ask again.
      if (err.status === 0 && ++misses < 20) continue;
      if (mine === following) ended({ key: "terminal_trouble", retry: false });
      return;
    }
    if (mine !== following) return;
  }
  if (attempt.status !== "approved") {
    ended(outcome(attempt));
    return;
  }
  live("terminal_approved");
  const sale = await api("GET", `/sales/${attempt.sale_id}`);
  if (mine !== following) return;
  render(sale);
  state.paying = false;
  if (sale.status === "completed") {
    closeDialog($("pay-dialog"));
    await showReceipt(sale.id);
  } else {
    ended({ key: "terminal_trouble", retry: true });
  }
}

async function startPayment() {
  const sale = state.sale;
  if (!sale || state.paying) return;
  const mine = ++following;
  state.paying = true;
  say($("pay-error"), "");
  waiting(true);
  live("terminal_starting");
  try {
    const answer = await api("POST", `/sales/${sale.id}/payments/terminal`, {
      json: { amount: sale.totals.due, wait: 0 },
      headers: { "Idempotency-Key": crypto.randomUUID() },
    });
    if (mine !== following) return;
    render(answer);
    await follow(answer.terminal, mine);
  } catch (err) {
    if (mine === following) ended(refusal(err));
  }
}

/** The screen stops following a payment (a reset for the next customer). */
export function forgetPayment() {
  following += 1;
  state.paying = false;
}

async function cancelPayment() {
  const sale = state.sale;
  const id = $("terminal-cancel").dataset.attempt;
  cancelAsked = following;
  if (!sale || !id) return; // sent once the till names the payment
  $("terminal-cancel").disabled = true;
  try {
    await api("POST", `/sales/${sale.id}/payments/terminal/${id}/cancel`, { json: {} });
  } catch (err) {
    // Settled meanwhile, or the terminal did not take the cancel: its outcome still comes
    // through the payment followed, which says what happened.
  }
}

export function wire() {
  $("pay-button").addEventListener("click", () => {
    if (awaitingApproval(state.sale)) {
      say($("sale-error"), t("approval_needed"));
      openApproval();
      return;
    }
    openDialog($("pay-dialog"), $("terminal-cancel"));
    startPayment();
  });
  $("terminal-cancel").addEventListener("click", cancelPayment);
  $("terminal-retry").addEventListener("click", () => {
    startPayment();
    $("terminal-cancel").focus();
  });
  $("terminal-staff").addEventListener("click", () => {
    closeDialog($("pay-dialog"));
    callAttendant("payment", true);
  });
  // Escape does not walk away from a payment the terminal is taking: Cancel asks it to stop.
  $("pay-dialog").addEventListener("cancel", (event) => {
    if (state.paying) event.preventDefault();
  });
}
