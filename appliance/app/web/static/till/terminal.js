/* The till: the card tender on the shop's payment terminal (card present). The amount goes to
 * the terminal; the customer presents the card there; the screen follows the terminal's own
 * state (waiting for the card, PIN, processing; "in progress on the terminal" when its
 * protocol tells no more) by asking for the payment until it is known, and the terminal's
 * state shows in the header beside the printer's. A reload while a payment is on the
 * terminal reopens the dialog on it (`resumeTerminal`): no second card tender meanwhile. */

import C, { $, api, say, t } from "../comptoir.js";
import { state, tenderKey } from "./state.js";
import { completed } from "./payment.js";
import { announce, fmt, reload, setSale } from "./sale.js";
import { setStatus } from "./devices.js";
import { SHIFT_WORDS } from "./shifts.js";

const POLL_MS = 700;
const STATUS_MS = 10000;
const ANSWER_WAIT_S = 1;

// What the terminal's screen says, in the shop's words (the attempt's `terminal_state`, and
// the header's state).
const STATES = {
  waiting_for_card: "till.terminal_waiting_for_card",
  pin: "till.terminal_pin",
  processing: "till.terminal_processing",
  in_progress: "till.terminal_in_progress",
  unknown: "till.terminal_checking",
  checking: "till.terminal_checking",
  idle: "till.terminal_ready",
  busy: "till.terminal_busy",
  offline: "till.terminal_offline",
};

let following = null; // {sale, attempt, amount, timer}: the payment the dialog shows
let asked = 0; // the amount the dialog sends, again on "Send to the terminal again"

/** The Card tender goes to the terminal when the till has one (GET /terminal/status answered). */
export function hasTerminal() {
  return !!state.terminal;
}

/** GET /terminal/status: {protocol, state, unresolved, flagged}; 404 is a till without one. */
export async function checkTerminal() {
  try {
    const header = await api("GET", "/terminal/status");
    state.terminal = header;
    let mood = header.state === "offline" ? "bad" : header.state === "idle" ? "ok" : "warn";
    let words = t(STATES[header.state] || "till.terminal_busy");
    if (header.flagged > 0) {
      mood = "bad";
      words = t("till.terminal_flagged", { count: header.flagged });
    } else if (header.unresolved > 0) {
      mood = "warn";
      words = t("till.terminal_unresolved", { count: header.unresolved });
    }
    setStatus("terminal-status", "terminal-text", mood, t("till.terminal_status", { status: words }));
    C.show($("terminal-status"), true);
  } catch (err) {
    if (err.status === 404 || err.status === 405) {
      state.terminal = false; // no terminal on this till: the keyed card dialog
      C.show($("terminal-status"), false);
    } else if (err.status !== 401) {
      setStatus("terminal-status", "terminal-text", "bad", t("till.terminal_status", { status: t("till.terminal_unknown") }));
      C.show($("terminal-status"), !!state.terminal);
    }
  }
}

export function startTerminalStatus() {
  checkTerminal();
  if (!state.terminalTimer) {
    state.terminalTimer = setInterval(() => {
      if (state.me && state.terminal !== false) checkTerminal();
    }, STATUS_MS);
  }
}

function buttons({ pending, settled }) {
  C.show($("terminal-cancel"), pending);
  C.show($("terminal-retry"), settled);
  C.show($("terminal-other"), settled);
}

function showState(text, stateName) {
  $("terminal-state").dataset.state = stateName;
  say($("terminal-state"), text);
}

function stopFollowing() {
  if (following && following.timer) clearTimeout(following.timer);
  following = null;
}

/** Opens the dialog and sends `amount` (the due amount when none or more) to the terminal. */
export function openTerminal(amount) {
  if ($("card-button").disabled || state.busy) return;
  const due = state.sale.totals.due;
  const chosen = amount && amount < due ? amount : due;
  asked = chosen;
  $("terminal-amount").textContent = C.moneyLocal(chosen, state.currency);
  say($("terminal-error"), "");
  C.openDialog($("terminal-dialog"), $("terminal-cancel"));
  send(chosen);
}

function declined(reason) {
  return t("till.card_declined", { why: reason || t("till.decline_no_reason") });
}

async function send(amount) {
  stopFollowing();
  const saleId = state.sale.id;
  state.busy = true;
  buttons({ pending: false, settled: false });
  say($("terminal-error"), "");
  showState(t("till.terminal_sending", { amount: C.moneyLocal(amount, state.currency) }), "sending");
  const key = tenderKey("terminal", amount);
  try {
    // A short wait: a pending payment's id comes back at once, to follow it and to cancel it.
    const paid = await api("POST", `/sales/${saleId}/payments/terminal`, {
      json: { amount, wait: ANSWER_WAIT_S },
      headers: { "Idempotency-Key": key },
    });
    following = { sale: saleId, attempt: paid.terminal.id, amount, timer: null };
    if (paid.terminal.status === "approved") {
      state.tender = null;
      await approved(paid, paid.terminal);
    } else {
      follow(paid.terminal); // 202: the customer or the terminal is still on it
    }
  } catch (err) {
    // payment_pending and a lost answer: the outcome is unknown; a retry keeps the same key.
    if (err.status !== 0 && err.code !== "payment_pending") state.tender = null;
    if (err.code === "payment_cancelled") {
      C.closeDialog($("terminal-dialog"));
      announce(t("till.terminal_cancelled"));
      return;
    }
    showState("", "settled");
    buttons({ pending: false, settled: true });
    if (err.code === "card_declined") {
      const reason = (/\((.+)\)\s*\.?$/.exec(err.message) || [])[1];
      say($("terminal-error"), declined(reason));
    } else if (err.code === "payment_pending") {
      say($("terminal-error"), t("till.terminal_being_checked"));
      await reload();
    } else if (err.code === "tender_unavailable") {
      state.terminal = false; // the till lost its terminal: the next Card is keyed
      say($("terminal-error"), err.message);
    } else {
      say($("terminal-error"), SHIFT_WORDS[err.code] ? t(SHIFT_WORDS[err.code]) : err.message);
      if (err.code === "sale_paid") await reload();
    }
  } finally {
    state.busy = false;
  }
}

function follow(attempt) {
  const live = attempt.terminal_state || attempt.state;
  const words = STATES[live];
  // While a cancel is asked, the terminal may still say "waiting for the card": say what the till does.
  if (!(following && following.cancelling)) showState(t(words || "till.terminal_in_progress"), live);
  buttons({ pending: true, settled: false });
  if (following) following.timer = setTimeout(poll, POLL_MS);
}

async function poll() {
  if (!following) return;
  const { sale, attempt } = following;
  let now;
  try {
    now = await api("GET", `/sales/${sale}/payments/terminal/${attempt}`);
  } catch (err) {
    if (err.status === 401) return stopFollowing();
    if (following) following.timer = setTimeout(poll, POLL_MS * 3); // the till's reach; ask again
    return;
  }
  if (!following || following.attempt !== attempt) return; // closed or another payment meanwhile
  if (now.status === "pending") return follow(now);
  await settle(now);
}

async function settle(attempt) {
  try {
    await conclude(attempt);
  } catch (err) {
    // The outcome is known and kept; only the sale's refresh failed: the screen catches up on reload.
    say($("terminal-error"), err.message);
  }
}

async function conclude(attempt) {
  stopFollowing();
  if (attempt.status === "approved") {
    state.tender = null;
    return approved(await api("GET", `/sales/${attempt.sale_id}`), attempt);
  }
  if (attempt.status === "cancelled") {
    state.tender = null;
    C.closeDialog($("terminal-dialog"));
    announce(t("till.terminal_cancelled"));
    return;
  }
  state.tender = null;
  showState("", "settled");
  buttons({ pending: false, settled: true });
  if (attempt.status === "declined") say($("terminal-error"), declined(attempt.decline_reason));
  else if (attempt.status === "failed") say($("terminal-error"), t("till.terminal_failed", { why: attempt.decline_reason || "" }));
  else say($("terminal-error"), t("till.terminal_given_back"));
  await reload();
}

async function approved(sale, attempt) {
  stopFollowing();
  C.closeDialog($("terminal-dialog"));
  if (sale.status === "completed") {
    await completed(sale);
    return;
  }
  setSale(sale);
  const card = attempt.last4 ? t("till.card_ending", { last4: attempt.last4 }) : "";
  announce(t("till.card_approved_part", {
    amount: fmt(attempt.approved_amount), card, due: C.moneyLocal(sale.totals.due, state.currency),
  }));
}

async function cancel() {
  if (!following) return;
  const { sale, attempt } = following;
  following.cancelling = true;
  $("terminal-cancel").disabled = true;
  showState(t("till.terminal_cancelling"), "cancelling");
  try {
    const now = await api("POST", `/sales/${sale}/payments/terminal/${attempt}/cancel`, { json: {} });
    // Else the poll sees the terminal confirm it; a poll may also have settled it meanwhile.
    if (now.status !== "pending" && following && following.attempt === attempt) await settle(now);
  } catch (err) {
    // payment_settled: the card was quicker; the poll shows how it ended.
    if (err.code !== "payment_settled") say($("terminal-error"), err.message);
    if (following) following.cancelling = false;
  } finally {
    $("terminal-cancel").disabled = false;
  }
}

/** After a reload (or a sale taken up again): a card payment of the sale on screen still on
 * the terminal reopens the dialog and is followed to its end, with Cancel, as if never left. */
export async function resumeTerminal() {
  const sale = state.sale;
  if (!sale || !sale.id || sale.status !== "open" || following) return;
  let found;
  try {
    found = await api("GET", `/sales/${sale.id}/payments/terminal`);
  } catch (err) {
    return; // a till without a terminal, or out of reach: the sale's own state says card_pending
  }
  const [attempt] = found.in_progress || [];
  if (!attempt || !state.sale || state.sale.id !== sale.id || following) return;
  asked = attempt.amount;
  $("terminal-amount").textContent = C.moneyLocal(attempt.amount, state.currency);
  say($("terminal-error"), "");
  C.openDialog($("terminal-dialog"), $("terminal-cancel"));
  following = { sale: sale.id, attempt: attempt.id, amount: attempt.amount, timer: null };
  follow(attempt);
}

/** Its buttons, once the page is there (cashier.js calls it once). */
export function wire() {
  $("terminal-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (state.busy || following) return;
    send(Math.min(asked, state.sale.totals.due));
  });
  $("terminal-cancel").addEventListener("click", cancel);
  $("terminal-other").addEventListener("click", () => C.closeDialog($("terminal-dialog")));
  // Esc does not walk away from a payment the terminal is still taking: Cancel asks it to stop.
  $("terminal-dialog").addEventListener("cancel", (event) => {
    if (following || state.busy) event.preventDefault();
  });
}
