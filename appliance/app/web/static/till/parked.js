/* The till: park and resume. */

import C, { $, api, el, say } from "../comptoir.js";
import { state } from "./state.js";
import { showNotice } from "./devices.js";
import { announce, clock, fmt, liveLines, newSale, setSale, showError, whileBusy } from "./sale.js";
import { words } from "./shifts.js";

export async function park() {
  if ($("park-button").disabled || state.busy) return;
  state.busy = true;
  try {
    await api("POST", `/sales/${state.sale.id}/park`, { json: {} });
    newSale();
    announce(C.t("till.announce_parked"));
    showNotice(C.t("till.parked_notice"));
    refreshParked();
  } catch (err) {
    showError(err.message);
  } finally {
    state.busy = false;
  }
}

/** The sales of this till not on screen: parked ones, and open ones nobody parked (a
 * reload, a closed window or a session that ended left them). An empty open sale holds
 * nothing and is left out. Returns {parked, open}, or null when they could not be read. */
export async function refreshParked() {
  try {
    const [parked, open] = await Promise.all([api("GET", "/sales?status=parked"), api("GET", "/sales?status=open")]);
    const onScreen = state.sale && state.sale.status === "open" ? state.sale.id : null;
    const left = open.sales.filter((s) => s.id !== onScreen && (s.lines > 0 || s.paid > 0));
    const n = parked.sales.length + left.length;
    $("parked-count").textContent = n ? String(n) : "";
    C.show($("parked-count"), n > 0);
    $("parked-button").setAttribute("aria-label", left.length
      ? C.t("till.parked_sales_count_open", { count: n, open: left.length }) : C.t("till.parked_sales_count", { count: n }));
    return { parked: parked.sales, open: left };
  } catch (err) {
    return null;
  }
}

/** The parked sales and those left open, each with a button to take it up. `intro` says
 * why the list opened by itself (several sales were left open at the start). */
export async function openParked({ intro = false } = {}) {
  if (state.busy) return;
  say($("parked-error"), "");
  C.show($("parked-intro"), intro);
  C.openDialog($("parked-dialog"), $("parked-dialog").querySelector(".close-dialog"));
  const found = await refreshParked();
  const body = $("parked-body");
  const openBody = $("open-body");
  body.replaceChildren();
  openBody.replaceChildren();
  if (found === null) {
    say($("parked-error"), C.t("till.parked_not_read"));
    return;
  }
  C.show($("parked-empty"), found.parked.length === 0);
  C.show($("parked-table"), found.parked.length > 0);
  for (const p of found.parked) {
    const button = el("button", { type: "button", class: "primary", "aria-label": C.t("till.resume_sale", { id: p.id }) }, C.t("till.resume"));
    button.addEventListener("click", () => resume(p.id));
    body.append(el("tr", {}, el("td", {}, C.t("till.sale_number", { id: p.id })), el("td", {}, clock(p.parked_at)),
      el("td", {}, p.parked_by || ""), el("td", { class: "num" }, String(p.lines)),
      el("td", { class: "num" }, p.paid ? fmt(p.paid) : ""), el("td", {}, button)));
  }
  C.show($("open-section"), found.open.length > 0);
  for (const o of found.open) {
    const button = el("button", { type: "button", class: "primary", "aria-label": C.t("till.take_up_sale", { id: o.id }) }, C.t("till.take_up"));
    button.addEventListener("click", () => takeUp(o.id));
    openBody.append(el("tr", {}, el("td", {}, C.t("till.sale_number", { id: o.id })), el("td", {}, clock(o.opened_at)),
      el("td", {}, o.cashier || ""), el("td", { class: "num" }, String(o.lines)),
      el("td", { class: "num" }, o.paid ? fmt(o.paid) : ""), el("td", { class: "num" }, fmt(o.due)),
      el("td", {}, button)));
  }
  const first = $("parked-dialog").querySelector("tbody button");
  if (first) first.focus();
}

/** A sale on screen with items must be parked or finished before another comes up. */
function screenIsBusy() {
  const current = state.sale;
  return !!(current && current.status === "open" && liveLines(current).length && !state.done);
}

function showTakenUp(sale, words) {
  state.done = false;
  state.tender = null;
  C.show($("change-box"), false);
  showError("");
  setSale(sale, { select: null });
  C.closeDialog($("parked-dialog"));
  const paid = sale.totals.paid ? " " + C.t("till.paid_and_due", { paid: fmt(sale.totals.paid), due: fmt(sale.totals.due) }) : "";
  announce(`${words} ${C.t("till.total_amount", { amount: fmt(sale.totals.total) })}.${paid}`);
  refreshParked();
}

/** What the parked list's buttons share: nothing while the screen holds a sale or the till
 * is busy, and an error said in the list. */
async function fromParkedList(act) {
  if (state.busy) return;
  if (screenIsBusy()) {
    say($("parked-error"), C.t("till.park_or_finish_first"));
    return;
  }
  await whileBusy($("parked-error"), act);
}

function resume(id) {
  return fromParkedList(async () => {
    showTakenUp(await api("POST", `/sales/${id}/resume`, { json: {} }), C.t("till.sale_resumed", { id }));
  });
}

/** Puts a sale left open (not parked) back on screen, as it is on the server. */
function takeUp(id) {
  return fromParkedList(async () => {
    const sale = await api("GET", `/sales/${id}`);
    if (sale.status !== "open" || sale.parked) {
      say($("parked-error"), C.t("till.sale_no_longer_open", { id }));
      refreshParked();
      return;
    }
    showTakenUp(sale, C.t("till.sale_back_on_screen", { id }));
  });
}

/** At the start (a reload, a crash, a new login): the sale this tab had on screen if it
 * is still open, else the one sale left open on this till; several: the list to pick from. */
export async function recoverOpenSale(remembered) {
  const found = await refreshParked();
  if (found === null) return;
  const pick = found.open.find((s) => String(s.id) === remembered) || (found.open.length === 1 ? found.open[0] : null);
  if (pick) {
    await takeUp(pick.id);
  } else if (found.open.length > 1) {
    await openParked({ intro: true });
  }
}
