/* The till: returns found by the receipt number or the day, to the original tenders or store credit.
 * A receipt this till does not hold is asked of the office (another lane's, of this store or
 * another): given back here in cash or store credit, never to the card that paid there. */

import C, { $, api, el, say } from "../comptoir.js";
import { state } from "./state.js";
import { RECEIPT_NUMBER } from "./constants.js";
import { approvalBox, reasonGiven, withApproval } from "./approval.js";
import { creditHint, returnPermission } from "./noreceipt.js";
import { announce, clock, fmt, whileBusy } from "./sale.js";

let refundApproval; // set by wire(): it reads the page

export function openRefund(receipt) {
  if (state.busy) return;
  state.refundSale = null;
  state.refundKey = null;
  officeMode(false);
  showStores("", []);
  refundApproval.reset();
  C.show($("refund-form"), false);
  C.show($("refund-submit"), false);
  say($("refund-done"), "");
  showRefundSlip("");
  $("refund-receipt").value = receipt || "";
  $("refund-reason").value = "";
  $("refund-day").value = today();
  $("refund-day-body").replaceChildren();
  C.show($("refund-day-box"), false);
  C.show($("refund-day-empty"), false);
  $("refund-to-original").checked = true;
  creditHint("refund-to-hint");
  C.openDialog($("refund-dialog"), $("refund-receipt"));
  if (receipt) findRefund();
}

export async function findRefund() {
  const number = $("refund-receipt").value.trim().toUpperCase();
  say($("refund-error"), "");
  say($("refund-done"), "");
  showRefundSlip("");
  showStores("", []);
  officeMode(false); // a return the office did not answer is left when another receipt is looked up
  if (!RECEIPT_NUMBER.test(number)) {
    say($("refund-error"), C.t("till.receipt_number_looks_like"));
    $("refund-receipt").focus();
    return;
  }
  try {
    const found = await api("GET", "/sales?" + new URLSearchParams({ receipt: number }));
    showRefundSale(found.sales[0]);
  } catch (err) {
    C.show($("refund-form"), false);
    C.show($("refund-submit"), false);
    if (err.code === "receipt_not_found") await findAtOffice(number, null, err.message);
    else say($("refund-error"), err.message);
  }
}

/** GET /office/receipts/{number}: a receipt of another lane, on a till enrolled at an office.
 * `notHere` is what the till said (a till with no office says only that). */
async function findAtOffice(number, store, notHere) {
  const query = store ? "?" + new URLSearchParams({ store }) : "";
  try {
    showOfficeReceipt(await api("GET", `/office/receipts/${encodeURIComponent(number)}${query}`));
  } catch (err) {
    C.show($("refund-form"), false);
    C.show($("refund-submit"), false);
    if (err.code === "receipt_ambiguous") {
      showStores(number, (err.details && err.details.stores) || []);
      return;
    }
    const words = {
      not_enrolled: notHere,
      receipt_not_found: C.t("till.receipt_not_found_anywhere", { number }),
      office_unreachable: C.t("till.office_cannot_be_reached"),
    };
    say($("refund-error"), words[err.code] || err.message);
  }
}

/** Two stores printed the number (their tills share a terminal id): the cashier picks one. */
function showStores(number, stores) {
  const list = $("refund-stores-list");
  list.replaceChildren();
  for (const store of stores) {
    const pick = el("button", { type: "button" }, C.t("till.receipt_of_store", { store }));
    pick.addEventListener("click", () => {
      showStores("", []);
      findAtOffice(number, store, "");
    });
    list.append(pick);
  }
  C.show($("refund-stores"), stores.length > 0);
  if (stores.length) list.querySelector("button").focus();
}

/** The dialog for a receipt of another lane, or back to one of this till's: the first way
 * back reads Cash there (never the card that paid at the other lane), and no quote is asked
 * (the return's answer says the amount). */
function officeMode(on) {
  if (!on) {
    state.officeReceipt = null;
    state.officeReturn = null;
  }
  lockOfficeReturn(false);
  const first = $("refund-to-original").parentElement.querySelector("[data-words]");
  first.dataset.words = on ? "till.cash" : "till.to_the_original_payment";
  first.textContent = C.t(first.dataset.words);
  C.show($("refund-office-note"), on);
  C.show($("refund-amount"), !on);
}

/** A return sent to the office and not answered is sent again exactly as it was (the same
 * Idempotency-Key, so the same hold and never a second refund): its fields wait meanwhile. */
function lockOfficeReturn(locked) {
  for (const input of $("refund-body").querySelectorAll("input")) input.disabled = locked || input.dataset.left === "0";
  for (const id of ["refund-all", "refund-reason", "refund-to-original", "refund-to-credit"]) $(id).disabled = locked;
}

function lineRow(line, name, sold, paid, left, voided) {
  const input = el("input", {
    id: `refund-qty-${line}`, class: "qty-input", inputmode: "numeric", autocomplete: "off",
    maxlength: "5", value: String(left), "data-line": String(line), "data-left": String(left),
    "aria-label": C.t("till.quantity_to_return", { name }), disabled: left === 0,
  });
  input.addEventListener("input", quoteRefund);
  return el("tr", {},
    el("td", {}, name, voided ? el("span", { class: "badge" }, C.t("till.voided")) : null),
    el("td", { class: "num" }, String(sold)),
    el("td", { class: "num" }, fmt(paid)),
    el("td", { class: "num" }, String(left)),
    el("td", { class: "num" }, input));
}

/** Another lane's receipt as the office answered: its store and till said, each line with
 * what is still returnable across all lanes. */
function showOfficeReceipt(receipt) {
  state.refundSale = null;
  officeMode(true);
  state.officeReceipt = receipt;
  state.officeReturn = null;
  const tenders = receipt.tenders.map((p) => tenderName(p.method)).join(" + ");
  $("refund-sale").textContent = C.t("till.office_receipt", {
    number: receipt.receipt_number, store: receipt.store, till: receipt.till,
    total: C.moneyLocal(receipt.total, receipt.currency || state.currency) }) +
    (tenders ? C.t("till.paid_by", { tenders }) : "");
  const body = $("refund-body");
  body.replaceChildren(...receipt.lines.map((line) =>
    lineRow(line.line_no, line.name, line.quantity, line.unit_price * line.quantity - line.discount, line.returnable, false)));
  C.show($("refund-form"), true);
  C.show($("refund-submit"), true);
  refundApproval.askUnlessAllowed("refund", "till.role_may_not_refund");
  const first = body.querySelector("input:not([disabled])");
  if (first) first.focus();
}

function showRefundSale(sale) {
  officeMode(false);
  state.refundSale = sale;
  state.refundKey = C.uuid();
  const tenders = sale.payments.map((p) => tenderName(p.method)).join(" + ");
  $("refund-sale").textContent = C.t("till.refund_sale", {
    number: sale.receipt_number, status: sale.status, total: C.moneyLocal(sale.totals.total, state.currency) }) +
    (tenders ? C.t("till.paid_by", { tenders }) : "");
  const body = $("refund-body");
  body.replaceChildren(...sale.lines.map((line) => lineRow(line.line, line.name, line.quantity,
    line.voided ? 0 : line.net, line.voided ? 0 : line.quantity - (line.refunded_quantity || 0), line.voided)));
  C.show($("refund-form"), sale.status === "completed");
  C.show($("refund-submit"), sale.status === "completed");
  if (sale.status !== "completed") {
    say($("refund-error"), C.t("till.only_completed_returned", { status: sale.status }));
    return;
  }
  refundApproval.askUnlessAllowed("refund", "till.role_may_not_refund");
  quoteRefund();
  const first = body.querySelector("input:not([disabled])");
  if (first) first.focus();
}

/** The quantities typed, as the refund takes them: lines with something coming back, or
 * null (and the input at fault) when one is not a whole number up to what is left. */
function refundLines() {
  const lines = [];
  for (const input of $("refund-body").querySelectorAll("input")) {
    const text = input.value.trim() || "0";
    if (!/^\d{1,5}$/.test(text) || Number(text) > Number(input.dataset.left)) return { bad: input };
    if (Number(text) > 0) lines.push({ line: Number(input.dataset.line), quantity: Number(text) });
  }
  return { lines };
}

let quoteTimer = null;
let quoteSeq = 0;

/** The amount to refund, as the server works it out (discounts, taxes, the last refund's
 * rest), shown as the quantities change; a slower answer never overwrites a newer one. */
function quoteRefund() {
  const sale = state.refundSale;
  const shown = $("refund-amount-value");
  clearTimeout(quoteTimer);
  const seq = ++quoteSeq;
  if (!sale || sale.status !== "completed") return;
  const { lines, bad } = refundLines();
  if (bad) {
    shown.textContent = "—";
    return;
  }
  if (!lines.length) {
    shown.textContent = C.moneyLocal(0, state.currency);
    return;
  }
  quoteTimer = setTimeout(async () => {
    try {
      const quote = await api("POST", `/sales/${sale.id}/refund-quote`, { json: { lines } });
      if (seq === quoteSeq) shown.textContent = C.moneyLocal(quote.amount, quote.currency || state.currency);
    } catch (err) {
      if (seq === quoteSeq) shown.textContent = "—";
    }
  }, 120);
}

function showRefundSlip(text) {
  $("refund-slip").textContent = text;
  C.show($("refund-slip"), !!text);
}

/** Today on the shop's own calendar (its time zone, as its business days are): YYYY-MM-DD. */
function today() {
  const d = new Date();
  try {
    const parts = new Intl.DateTimeFormat("en-CA", {
      timeZone: state.timezone || undefined, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(d);
    const get = (type) => (parts.find((p) => p.type === type) || {}).value;
    if (get("year") && get("month") && get("day")) return `${get("year")}-${get("month")}-${get("day")}`;
  } catch (e) {
    /* an unknown zone: this screen's own calendar */
  }
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** A tender's name in the till's words (cash, card…); one it does not know, as the API spells it. */
function tenderName(method) {
  const key = `till.method_${method}`;
  const name = C.t(key);
  return name === key ? method.replace(/_/g, " ") : name;
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  refundApproval = approvalBox("refund");

  $("refund-all").addEventListener("click", () => {
    for (const input of $("refund-body").querySelectorAll("input:not([disabled])")) input.value = input.dataset.left;
    quoteRefund();
    $("refund-reason").focus();
  });

  $("refund-find").addEventListener("submit", (event) => {
    event.preventDefault();
    findRefund();
  });

  /** GET /sales?day=…: the day's completed sales; one is opened by its receipt number. */
  $("refund-day-find").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const day = $("refund-day").value;
    say($("refund-error"), "");
    say($("refund-done"), "");
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) {
      say($("refund-error"), C.t("till.choose_the_day"));
      $("refund-day").focus();
      return;
    }
    await whileBusy($("refund-error"), async () => {
      // A busy day is more than one page: all of it, so the last sales are there too.
      const found = { sales: [] };
      for (let offset = 0; offset != null && found.sales.length < 5000;) {
        const page = await api("GET", "/sales?" + new URLSearchParams({ day, offset: String(offset) }));
        found.sales.push(...page.sales);
        offset = page.next_offset;
      }
      const body = $("refund-day-body");
      body.replaceChildren();
      for (const s of found.sales) {
        const open = el("button", { type: "button", "aria-label": C.t("till.open_receipt", { number: s.receipt_number }) }, C.t("till.open"));
        open.addEventListener("click", () => {
          $("refund-receipt").value = s.receipt_number;
          C.show($("refund-day-box"), false);
          findRefund();
        });
        body.append(el("tr", {},
          el("td", {}, s.receipt_number),
          el("td", {}, s.completed_at ? clock(s.completed_at) : "—"),
          el("td", {}, s.cashier || ""),
          el("td", { class: "num" }, fmt(s.total)),
          el("td", {}, open)));
      }
      C.show($("refund-form"), false);
      C.show($("refund-submit"), false);
      C.show($("refund-day-box"), found.sales.length > 0);
      C.show($("refund-day-empty"), found.sales.length === 0);
      const first = body.querySelector("button");
      if (first) first.focus();
    });
  });

  $("refund-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.officeReceipt) {
      await returnAtOffice();
      return;
    }
    const sale = state.refundSale;
    if (state.busy || !sale) return;
    const { lines, bad } = refundLines();
    if (bad) {
      say($("refund-error"), C.t("till.return_between", { left: bad.dataset.left, line: bad.dataset.line }));
      bad.focus();
      return;
    }
    if (!lines.length) {
      say($("refund-error"), C.t("till.type_how_many_back"));
      return;
    }
    const reason = reasonGiven("refund-reason", $("refund-error"), "till.say_why_back");
    if (reason === null) return;
    const json = { lines, reason };
    if ($("refund-to-credit").checked) json.refund_to = "gift_card";
    state.busy = true;
    say($("refund-error"), "");
    const answer = await withApproval(refundApproval, returnPermission(!!json.refund_to, "refund"), $("refund-error"),
      (headers) => api("POST", `/sales/${sale.id}/refunds`, {
        json, headers: { ...headers, "Idempotency-Key": state.refundKey },
      }),
      (err) => err.code === "forbidden");
    state.busy = false;
    if (!answer) return;
    // Cash goes back in whole coins: a cash tender's rounding says what leaves the drawer.
    const back = answer.tenders.map((t) => (t.rounding
      ? C.t("till.refund_to_cash_rounded", { cash: fmt(t.amount + t.rounding), amount: fmt(t.amount) })
      : C.t("till.refund_to", { amount: fmt(t.amount), method: tenderName(t.method) }))).join(", ");
    refundApproval.reset();
    showRefundSale(answer.sale);
    C.show($("refund-form"), false);
    C.show($("refund-submit"), false);
    const amount = C.moneyLocal(answer.amount, answer.currency || state.currency);
    const done = answer.gift_card
      ? C.t("till.store_credit_given", { amount, code: answer.gift_card.code })
      : C.t("till.refunded_to", { amount, back });
    say($("refund-done"), done);
    announce(done);
    // The refund's own slip, as it is printing: what the customer takes away.
    try {
      showRefundSlip(await api("GET", `/refunds/${answer.id}/slip?format=text`, { text: true }));
    } catch (err) {
      say($("refund-error"), C.t("till.refund_slip_not_shown", { why: err.message }));
    }
  });
}

/** POST /office/returns: the lines held at the office, then paid here in cash or store
 * credit. An answer lost (the office or the till silent) keeps the request and its key for
 * the retry; any other refusal ends it, and the next try is a new one. */
async function returnAtOffice() {
  const receipt = state.officeReceipt;
  if (state.busy || !receipt) return;
  let pending = state.officeReturn;
  if (!pending) {
    const { lines, bad } = refundLines();
    if (bad) {
      say($("refund-error"), C.t("till.return_between", { left: bad.dataset.left, line: bad.dataset.line }));
      bad.focus();
      return;
    }
    if (!lines.length) {
      say($("refund-error"), C.t("till.type_how_many_back"));
      return;
    }
    const reason = reasonGiven("refund-reason", $("refund-error"), "till.say_why_back");
    if (reason === null) return;
    const refundTo = $("refund-to-credit").checked ? "gift_card" : "cash";
    pending = { key: C.uuid(), json: { receipt: receipt.receipt_number, store: receipt.store, lines, reason, refund_to: refundTo } };
  }
  state.busy = true;
  say($("refund-error"), "");
  const answer = await withApproval(refundApproval, returnPermission(pending.json.refund_to === "gift_card", "refund"),
    $("refund-error"),
    (headers) => api("POST", "/office/returns", {
      json: pending.json, headers: { ...headers, "Idempotency-Key": pending.key },
    }).catch((err) => {
      throw refusedAtOffice(err, pending);
    }),
    (err) => err.code === "forbidden");
  state.busy = false;
  if (!answer) return;
  state.officeReturn = null;
  refundApproval.reset();
  C.show($("refund-form"), false);
  C.show($("refund-submit"), false);
  const amount = C.moneyLocal(answer.amount, answer.currency || state.currency);
  let done;
  if (answer.refund_to === "gift_card") {
    // Asked again after a lost answer, the API does not show the new card's number twice.
    done = answer.gift_card
      ? C.t("till.store_credit_given", { amount, code: answer.gift_card.code })
      : C.t("till.store_credit_given_before", { amount });
  } else {
    const back = answer.rounding
      ? C.t("till.refund_to_cash_rounded", { cash: fmt(answer.amount + answer.rounding), amount: fmt(answer.amount) })
      : C.t("till.refund_to", { amount: fmt(answer.amount), method: tenderName("cash") });
    done = C.t("till.refunded_to", { amount, back });
  }
  say($("refund-done"), done);
  announce(done);
}

/** The refusal as the cashier reads it; says whether the same return is to be sent again. */
function refusedAtOffice(err, pending) {
  const silent = err.status === 0 || err.status >= 500 || err.code === "office_unreachable";
  state.officeReturn = silent ? pending : null;
  lockOfficeReturn(silent);
  if (err.code === "office_unreachable") return new C.ApiError(err.status, err.code, C.t("till.office_return_not_answered"));
  if (err.code === "refund_exceeds_returnable") {
    // Another lane gave some back meanwhile: the office's figures again, to choose anew.
    findAtOffice(pending.json.receipt, pending.json.store, "");
    return new C.ApiError(err.status, err.code, C.t("till.office_returnable_changed"));
  }
  if (err.code === "hold_not_live") {
    // The key's hold was given back or used: nothing was paid; the next try is a new key.
    findAtOffice(pending.json.receipt, pending.json.store, "");
    return new C.ApiError(err.status, err.code, C.t("till.office_hold_not_live"));
  }
  return err;
}
