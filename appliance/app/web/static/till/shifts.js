/* The till: shifts and cash-up. */

import C, { $, api, el, say, t } from "../comptoir.js";
import { state } from "./state.js";
import { approvalBox, reasonGiven } from "./approval.js";
import { setStatus } from "./devices.js";
import { amountError } from "./payment.js";
import { announce, clock, fmt } from "./sale.js";
import { age } from "./officelink.js";

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
    menu: "till.shift", open: "till.open_a_shift", close: "till.close_the_shift_count", paid_in: "till.paid_in",
    paid_out: "till.paid_out", x: "till.x_report", z: "till.z_report", busy: "till.shift",
  };
  $("shift-title").textContent = t(titles[name] || "till.shift");
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
  if (shift.unknown) return t("till.shift_not_read", { why: shift.message });
  if (!shift.open) return t("till.no_shift_count_float");
  if (!shift.operator) return t(SHIFT_WORDS.drawer_in_use);
  const since = clock(shift.opened_at);
  const who = shift.mine ? t("till.you") : shift.operator;
  return t("till.shift_summary", { id: shift.id, who, since, float: C.moneyLocal(shift.opening_float, state.currency) });
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
  $("shift-summary").textContent = t("till.reading_shift");
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
        el("label", { for: id }, `${fmt(d)} ×`, el("span", { class: "sr-only" }, " " + t("till.pieces_of", { amount: fmt(d), currency: state.currency }))),
        el("input", { id, inputmode: "numeric", autocomplete: "off", maxlength: "5", "data-denomination": String(d), value: "" })));
    }
  } else {
    grid.append(el("div", { class: "count-cell" },
      el("label", { for: "count-total-amount" }, t("till.cash_counted", { currency: state.currency })),
      el("input", { id: "count-total-amount", inputmode: "decimal", autocomplete: "off", maxlength: "14", "data-total": "1" })));
  }
  $("count-hint").textContent = kind === "open"
    ? t("till.count_the_float")
    : t("till.count_the_cash");
  $("count-submit").textContent = kind === "open" ? t("till.open_shift") : t("till.count_and_close");
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
  $("count-total").textContent = read ? C.moneyLocal(read.total, state.currency) : "—";
}

/** "counted 1200, expected 2000: a variance of -800 is over the limit of 500; …" in money. */
function varianceWords(message) {
  const m = /counted (-?\d+), expected (-?\d+): a variance of (-?\d+) is over the limit of (\d+)/i.exec(message);
  if (!m) return message;
  const [counted, expected, off, limit] = m.slice(1).map(Number);
  const money = (v) => C.moneyLocal(v, state.currency);
  return t(off < 0 ? "till.variance_short" : "till.variance_over", {
    counted: money(counted), expected: money(expected), off: money(Math.abs(off)), limit: money(limit) });
}

function startMove(kind) {
  shiftPane(kind);
  $("move-amount").value = "";
  $("move-reason").value = "";
  $("move-submit").textContent = kind === "paid_in" ? t("till.record_paid_in") : t("till.record_paid_out");
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

const TENDER_NAMES = {
  cash: "till.cash", card: "till.card", gift_card: "till.gift_card", loyalty: "till.points", store_credit: "till.store_credit", exchange: "till.exchange",
};

/** The X (mid-shift) or Z (close) report as a table. The X report never shows the
 * expected cash, whatever the API gives: the person reading it may count next. */
function showReport(r) {
  const z = r.kind === "Z";
  shiftPane(z ? "z" : "x");
  const money = (v) => C.moneyLocal(v || 0, r.currency || state.currency);
  const body = $("report-body");
  body.replaceChildren();
  const group = (title) => body.append(el("tr", { class: "group" }, el("th", { scope: "colgroup", colspan: "2" }, title)));
  const row = (label, value, strong) => body.append(el("tr", { class: strong ? "strong" : "" },
    el("th", { scope: "row" }, label), el("td", { class: "num" }, value)));
  // The store's clock when the report carries it (the till's own clock may be set otherwise).
  const at = (local, iso) => (local ? local.slice(11, 16) : clock(iso));
  $("report-caption").textContent = t(z ? "till.z_report_caption" : "till.x_report_caption",
    { shift: r.shift, from: at(r.opened_local, r.opened_at), to: at(r.until_local, r.until) });
  if (z) {
    group(t("till.cash_count"));
    row(t("till.counted"), money(r.counted), true);
    row(t("till.expected"), money(r.cash.expected), true);
    const off = r.variance || 0;
    row(t("till.variance"), off === 0 ? t("till.variance_none")
      : t(off < 0 ? "till.amount_short" : "till.amount_over", { amount: money(Math.abs(off)) }), true);
    if (r.approved_by) row(t("till.approved_by"), r.approved_by);
  }
  group(t("till.sales"));
  row(t("till.completed_sales"), String(r.sales.count));
  row(t("till.sales_total_net"), money(r.sales.total));
  row(t("till.tax"), money(r.sales.tax));
  row(t("till.discounts"), money(r.sales.discount));
  if (r.gift_cards && r.gift_cards.count) row(t("till.gift_cards_sold", { count: r.gift_cards.count }), money(r.gift_cards.amount));
  row(t("till.refunds_count", { count: r.refunds.count }), money(r.refunds.amount));
  // A Z report kept from before these lines has neither key.
  const back = r.gift_cards_returned;
  if (back && back.count) row(t("till.gift_cards_returned_count", { count: back.count }), money(back.amount));
  const noReceipt = r.returns_without_receipt;
  if (noReceipt && noReceipt.count) {
    row(t("till.returns_without_receipt_count", { count: noReceipt.count }), money(noReceipt.amount));
  }
  row(t("till.voided_lines"), String(r.voids));
  group(t("till.tenders"));
  if (!r.tenders.length) row(t("till.no_payments"), "—");
  for (const p of r.tenders) {
    row(`${TENDER_NAMES[p.method] ? t(TENDER_NAMES[p.method]) : p.method.replace(/_/g, " ")} (${p.count})`, money(p.amount));
  }
  group(t("till.cash_in_the_drawer"));
  row(t("till.opening_float"), money(r.cash.opening_float));
  row(t("till.cash_sales"), money(r.cash.sales));
  row(t("till.cash_refunds"), money(r.cash.refunds));
  if (r.cash.rounding) row(t("till.cash_rounding"), money(r.cash.rounding));
  row(t("till.paid_in"), money(r.cash.paid_in));
  row(t("till.paid_out"), money(r.cash.paid_out));
  if (r.office) {
    // An enrolled till's link: at the close for a Z, now for an X; what the office did not have yet.
    group(t(z ? "till.office_at_close" : "till.office_now"));
    row(t("till.office_not_sent"), String(r.office.backlog));
    if (r.office.oldest_unsent_age_seconds !== null) row(t("till.office_oldest_not_sent"), age(r.office.oldest_unsent_age_seconds));
    row(t("till.office_last_contact"), r.office.last_contact ? clock(r.office.last_contact) : t("till.office_no_contact"));
  }
  $("report-note").textContent = z ? t("till.z_report_note") : t("till.x_report_note");
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
      say($("shift-error"), t("till.count_whole_pieces"));
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
        say($("shift-done"), t("till.shift_open_float", { float: C.moneyLocal(shift.opening_float, state.currency) }));
        announce(t("till.announce_shift_open"));
        $("shift-paid-in").focus();
        return;
      }
      let headers = {};
      if (countApproval.asked) headers = await countApproval.headers("approve_variance");
      const z = await api("POST", "/shifts/current/close", { json: { count: read.count }, headers });
      countApproval.reset();
      showReport(z);
      await refreshShift();
      $("shift-summary").textContent = t("till.shift_closed_number", { id: z.shift });
      announce(t("till.announce_shift_closed"));
    } catch (err) {
      if (err.code === "variance_needs_manager" && !countApproval.asked) {
        for (const input of $("count-grid").querySelectorAll("input")) input.readOnly = true; // the count stands
        countApproval.ask(varianceWords(err.message));
        $("count-submit").textContent = t("till.approve_and_close");
      } else {
        const refused = err.code === "forbidden" && countApproval.asked;
        say($("shift-error"), refused ? t("till.may_not_approve_variance", { name: $("count-approval-username").value.trim() }) : words(err));
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
      say($("shift-error"), amount === 0 ? t("till.amount_more_than_zero") : amountError(text));
      $("move-amount").focus();
      return;
    }
    const reason = reasonGiven("move-reason", $("shift-error"), "till.say_what_cash_for");
    if (reason === null) return;
    state.busy = true;
    try {
      await api("POST", `/shifts/current/${kind === "paid_in" ? "paid-in" : "paid-out"}`, { json: { amount, reason } });
      shiftPane("menu");
      say($("shift-done"), t(kind === "paid_in" ? "till.paid_in_done" : "till.paid_out_done", { amount: C.moneyLocal(amount, state.currency), reason }));
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
