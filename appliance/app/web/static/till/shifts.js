/* The till: shifts and cash-up. */

import C, { $, api, el, say, t } from "../comptoir.js";
import { state } from "./state.js";
import { approvalBox } from "./approval.js";
import { setStatus } from "./devices.js";
import { amountError } from "./payment.js";
import { announce, clock, fmt } from "./sale.js";

export const SHIFT_WORDS = {
  drawer_in_use: "till.drawer_in_use",
  no_open_shift: "till.no_open_shift",
  shift_closed: "till.shift_closed",
};

/** An API error in the till's words (the shift and drawer ones are spelt out). */
export function words(err) {
  return SHIFT_WORDS[err.code] ? t(SHIFT_WORDS[err.code]) : err.message;
}

let countApproval; // set by wire(): it reads the page

/** GET /shifts/current → state.shift: {open, mine, operator, …} or {open: false} or {inUse}. */
export async function refreshShift() {
  let shift;
  try {
    const s = await api("GET", "/shifts/current");
    shift = { ...s, open: true, mine: state.me && s.operator === state.me.username };
  } catch (err) {
    if (err.code === "no_open_shift") shift = { open: false };
    else if (err.code === "drawer_in_use") shift = { open: true, mine: false, operator: null };
    else shift = { unknown: true, message: err.message };
  }
  state.shift = shift;
  if (shift.denominations) state.denominations = shift.denominations;
  let text = t("till.shift_unknown");
  let mood = "unknown";
  if (shift.open && shift.mine) {
    text = t("till.shift_open_by", { operator: shift.operator });
    mood = "ok";
  } else if (shift.open) {
    text = shift.operator ? t("till.shift_of", { operator: shift.operator }) : t("till.shift_another_operator");
    mood = "warn";
  } else if (shift.open === false) {
    text = t("till.shift_none_open");
  }
  setStatus("shift-button", "shift-text", mood, text);
  return shift;
}

function shiftPane(name) {
  state.shiftPane = name;
  const titles = {
    menu: "Shift", open: "Open a shift", close: "Close the shift: count the drawer", paid_in: "Paid in",
    paid_out: "Paid out", x: "X report", z: "Z report", busy: "Shift",
  };
  $("shift-title").textContent = titles[name] || "Shift";
  C.show($("shift-menu"), name === "menu");
  C.show($("count-form"), name === "open" || name === "close");
  C.show($("count-submit"), name === "open" || name === "close");
  C.show($("move-form"), name === "paid_in" || name === "paid_out");
  C.show($("move-submit"), name === "paid_in" || name === "paid_out");
  C.show($("report-view"), name === "x" || name === "z");
  C.show($("shift-back"), ["paid_in", "paid_out", "x", "close"].includes(name));
  say($("shift-error"), "");
  if (name !== "z" && name !== "menu") say($("shift-done"), "");
}

function shiftSummary(shift) {
  if (shift.unknown) return `The shift could not be read: ${shift.message}`;
  if (!shift.open) return "No shift is open on this drawer. Count the float to open one.";
  if (!shift.operator) return t(SHIFT_WORDS.drawer_in_use);
  const since = clock(shift.opened_at);
  const who = shift.mine ? "you" : shift.operator;
  return `Shift ${shift.id}, opened by ${who} at ${since} with a float of ${C.money(shift.opening_float, state.currency)}.`;
}

/** The currency's notes and coins. GET /shifts/current gives them only while a shift is
 * open; before one, a count that cannot be valid ({"0": 0}) is refused with the list in
 * its message, and nothing is written. Without a list, the count is one amount ("total"). */
async function loadDenominations() {
  if (state.denominations) return state.denominations;
  try {
    await api("POST", "/shifts", { json: { count: { 0: 0 } } });
  } catch (err) {
    const m = /\(([\d, ]+)\)\s*$/.exec(err.message);
    if (err.code === "invalid_count") state.denominations = m ? m[1].split(",").map((d) => Number(d.trim())) : [];
  }
  return state.denominations || [];
}

export async function openShift() {
  if (state.busy) return;
  say($("shift-done"), "");
  C.openDialog($("shift-dialog"), $("shift-dialog").querySelector(".close-dialog"));
  shiftPane("busy");
  $("shift-summary").textContent = "Reading the drawer's shift…";
  const shift = await refreshShift();
  $("shift-summary").textContent = shiftSummary(shift);
  if (shift.unknown || (shift.open && !shift.operator)) {
    shiftPane("busy");
    return;
  }
  if (!shift.open) {
    await loadDenominations();
    startCount("open");
    return;
  }
  shiftPane("menu");
  $("shift-paid-in").focus();
}

/** The count by denomination, as pieces; a currency without a list takes one amount. */
function startCount(kind) {
  shiftPane(kind);
  countApproval.reset();
  const grid = $("count-grid");
  grid.replaceChildren();
  const list = state.denominations || [];
  if (list.length) {
    for (const d of list) {
      const id = `count-${d}`;
      grid.append(el("div", { class: "count-cell" },
        el("label", { for: id }, `${fmt(d)} ×`, el("span", { class: "sr-only" }, ` pieces of ${fmt(d)} ${state.currency}`)),
        el("input", { id, inputmode: "numeric", autocomplete: "off", maxlength: "5", "data-denomination": String(d), value: "" })));
    }
  } else {
    grid.append(el("div", { class: "count-cell" },
      el("label", { for: "count-total-amount" }, `Cash counted (${state.currency})`),
      el("input", { id: "count-total-amount", inputmode: "decimal", autocomplete: "off", maxlength: "14", "data-total": "1" })));
  }
  $("count-hint").textContent = kind === "open"
    ? "Count the float in the drawer: how many of each note and coin."
    : "Count the cash in the drawer: how many of each note and coin. The expected amount is shown only after you count.";
  $("count-submit").textContent = kind === "open" ? "Open shift" : "Count and close";
  $("count-submit").className = kind === "open" ? "primary big" : "danger big";
  updateCountTotal();
  const first = grid.querySelector("input");
  if (first) first.focus();
}

/** {count, total} from the grid; null (with the error said) when a field is not a number. */
function readCount() {
  const count = {};
  let total = 0;
  for (const input of $("count-grid").querySelectorAll("input")) {
    const text = input.value.trim();
    if (input.dataset.total) {
      const amount = text ? C.parseAmount(text, state.currency) : 0;
      if (amount === null) return null;
      count.total = amount;
      total += amount;
      continue;
    }
    if (text && !/^\d{1,5}$/.test(text)) return null;
    const pieces = Number(text || "0");
    count[input.dataset.denomination] = pieces;
    total += pieces * Number(input.dataset.denomination);
  }
  return { count, total };
}

function updateCountTotal() {
  const read = readCount();
  $("count-total").textContent = read ? C.money(read.total, state.currency) : "—";
}

/** "counted 1200, expected 2000: a variance of -800 is over the limit of 500; …" in money. */
function varianceWords(message) {
  const m = /counted (-?\d+), expected (-?\d+): a variance of (-?\d+) is over the limit of (\d+)/i.exec(message);
  if (!m) return message;
  const [counted, expected, off, limit] = m.slice(1).map(Number);
  const side = off < 0 ? "short" : "over";
  return `Counted ${C.money(counted, state.currency)}, expected ${C.money(expected, state.currency)}: ` +
    `${C.money(Math.abs(off), state.currency)} ${side}, more than the limit of ${C.money(limit, state.currency)}. ` +
    "A manager must approve the close.";
}

function startMove(kind) {
  shiftPane(kind);
  $("move-amount").value = "";
  $("move-reason").value = "";
  $("move-submit").textContent = kind === "paid_in" ? "Record paid in" : "Record paid out";
  $("move-amount").focus();
}

async function startX() {
  if (state.busy) return;
  state.busy = true;
  try {
    const x = await api("GET", "/shifts/current/x-report");
    showReport(x);
  } catch (err) {
    say($("shift-error"), words(err));
  } finally {
    state.busy = false;
  }
}

const TENDER_NAMES = { cash: "Cash", card: "Card", gift_card: "Gift card", loyalty: "Points", store_credit: "Store credit", exchange: "Exchange" };

/** The X (mid-shift) or Z (close) report as a table. The X report never shows the
 * expected cash, whatever the API gives: the person reading it may count next. */
function showReport(r) {
  const z = r.kind === "Z";
  shiftPane(z ? "z" : "x");
  const money = (v) => C.money(v || 0, r.currency || state.currency);
  const body = $("report-body");
  body.replaceChildren();
  const group = (title) => body.append(el("tr", { class: "group" }, el("th", { scope: "colgroup", colspan: "2" }, title)));
  const row = (label, value, strong) => body.append(el("tr", { class: strong ? "strong" : "" },
    el("th", { scope: "row" }, label), el("td", { class: "num" }, value)));
  // The store's clock when the report carries it (the till's own clock may be set otherwise).
  const at = (local, iso) => (local ? local.slice(11, 16) : clock(iso));
  $("report-caption").textContent = `${z ? "Z" : "X"} report, shift ${r.shift}: ${at(r.opened_local, r.opened_at)} to ${at(r.until_local, r.until)}`;
  if (z) {
    group("Cash count");
    row("Counted", money(r.counted), true);
    row("Expected", money(r.cash.expected), true);
    const off = r.variance || 0;
    row("Variance", off === 0 ? "none" : `${money(Math.abs(off))} ${off < 0 ? "short" : "over"}`, true);
    if (r.approved_by) row("Approved by", r.approved_by);
  }
  group("Sales");
  row("Completed sales", String(r.sales.count));
  row("Sales total (net of gift cards)", money(r.sales.total));
  row("Tax", money(r.sales.tax));
  row("Discounts", money(r.sales.discount));
  if (r.gift_cards && r.gift_cards.count) row(`Gift cards sold, liability (${r.gift_cards.count})`, money(r.gift_cards.amount));
  row(`Refunds (${r.refunds.count})`, money(r.refunds.amount));
  row("Voided lines", String(r.voids));
  group("Tenders");
  if (!r.tenders.length) row("No payments", "—");
  for (const t of r.tenders) row(`${TENDER_NAMES[t.method] || t.method.replace(/_/g, " ")} (${t.count})`, money(t.amount));
  group("Cash in the drawer");
  row("Opening float", money(r.cash.opening_float));
  row("Cash sales", money(r.cash.sales));
  row("Cash refunds", money(r.cash.refunds));
  if (r.cash.rounding) row("Cash rounding", money(r.cash.rounding));
  row("Paid in", money(r.cash.paid_in));
  row("Paid out", money(r.cash.paid_out));
  $("report-note").textContent = z
    ? "The Z report is stored with the shift; a manager can read it again in the back office. " +
      "Printing it is not offered: this till's API has no route to print a shift report yet."
    : "Mid-shift figures. The expected cash is left out: it shows only after the closing count.";
  $("shift-dialog").querySelector(".close-dialog").focus();
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  countApproval = approvalBox("count");
  $("count-grid").addEventListener("input", updateCountTotal);

  $("count-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const read = readCount();
    if (!read) {
      say($("shift-error"), "Type each count as a whole number of pieces (or leave it empty for none).");
      return;
    }
    const kind = state.shiftPane;
    state.busy = true;
    say($("shift-error"), "");
    try {
      if (kind === "open") {
        const shift = await api("POST", "/shifts", { json: { count: read.count } });
        await refreshShift();
        $("shift-summary").textContent = shiftSummary(state.shift);
        shiftPane("menu");
        say($("shift-done"), `Shift open with a float of ${C.money(shift.opening_float, state.currency)}.`);
        announce("Shift open.");
        $("shift-paid-in").focus();
        return;
      }
      let headers = {};
      if (countApproval.asked) headers = await countApproval.headers("approve_variance");
      const z = await api("POST", "/shifts/current/close", { json: { count: read.count }, headers });
      countApproval.reset();
      showReport(z);
      await refreshShift();
      $("shift-summary").textContent = `Shift ${z.shift} closed.`;
      announce("Shift closed. The Z report is on screen.");
    } catch (err) {
      if (err.code === "variance_needs_manager" && !countApproval.asked) {
        for (const input of $("count-grid").querySelectorAll("input")) input.readOnly = true; // the count stands
        countApproval.ask(varianceWords(err.message));
        $("count-submit").textContent = "Approve and close";
      } else {
        const refused = err.code === "forbidden" && countApproval.asked;
        say($("shift-error"), refused ? `${$("count-approval-username").value.trim()} may not approve a variance: ask a manager.` : words(err));
        if (countApproval.asked) countApproval.focusPassword();
        if (err.code === "no_open_shift" || err.code === "drawer_in_use") refreshShift();
      }
    } finally {
      state.busy = false;
    }
  });

  $("move-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const kind = state.shiftPane;
    const text = $("move-amount").value.trim();
    const amount = C.parseAmount(text, state.currency);
    if (amount === null || amount <= 0) {
      say($("shift-error"), amount === 0 ? "The amount must be more than 0." : amountError(text));
      $("move-amount").focus();
      return;
    }
    const reason = $("move-reason").value.trim();
    if (reason.length < 3) {
      say($("shift-error"), "Say what the cash was for (3 characters or more).");
      $("move-reason").focus();
      return;
    }
    state.busy = true;
    try {
      await api("POST", `/shifts/current/${kind === "paid_in" ? "paid-in" : "paid-out"}`, { json: { amount, reason } });
      shiftPane("menu");
      say($("shift-done"), `${kind === "paid_in" ? "Paid in" : "Paid out"} ${C.money(amount, state.currency)}: ${reason}.`);
      $("shift-paid-in").focus();
    } catch (err) {
      say($("shift-error"), words(err));
    } finally {
      state.busy = false;
    }
  });

  $("shift-paid-in").addEventListener("click", () => startMove("paid_in"));
  $("shift-paid-out").addEventListener("click", () => startMove("paid_out"));
  $("shift-x").addEventListener("click", startX);
  $("shift-close").addEventListener("click", () => startCount("close"));
  $("shift-back").addEventListener("click", () => {
    shiftPane("menu");
    $("shift-paid-in").focus();
  });
}
