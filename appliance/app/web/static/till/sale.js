/* The till: the sale on screen (lines, totals, what can be done now), selecting a line, a new sale. */

import C, { $, api, el, say, t } from "../comptoir.js";
import { clearSale, hasTerminal, mayKeyCards, selectLine, state, stepSelection, takeSale } from "./state.js";
import { GIFT_SKU, SALE_KEY } from "./constants.js";
import { forgetExtras, loadExtras, renderCustomer } from "./customers.js";

// Amounts as the till's language writes them with the store's region (12.50 in en-CA, 12,50 in fr-CA).
export const fmt = (minor) => C.formatLocal(minor, state.currency);

export function liveLines(sale) {
  return sale ? sale.lines.filter((l) => !l.voided) : [];
}

export function selectedLine() {
  if (!state.sale || state.selected === null) return null;
  return state.sale.lines.find((l) => l.line === state.selected) || null;
}


function lineDetails(line) {
  const bits = [];
  if (line.measure) bits.push(line.measure);
  if (line.original_price !== null && line.original_price !== undefined && line.original_price !== line.unit_price) {
    bits.push(t("till.price_changed_from", { price: fmt(line.original_price) }));
  }
  if (line.promotion) bits.push(t("till.offer", { name: line.promotion }));
  const own = line.line_discount;
  if (own) {
    const what = own.kind === "percent" ? `${C.formatPercent(own.value)} %` : fmt(own.value);
    bits.push(t("till.line_discount", { what }) + (own.reason ? ` (${own.reason})` : ""));
  }
  if (line.discount > 0 && !line.voided) bits.push(t("till.amount_off", { amount: fmt(line.discount) }));
  if (line.refunded_quantity) bits.push(t("till.quantity_returned", { quantity: line.refunded_quantity }));
  return bits.length ? el("span", { class: "line-notes" }, bits.join(" · ")) : null;
}

const NO_TOTALS = { subtotal: 0, discount: 0, tax: 0, total: 0, paid: 0, due: 0 };

/** The totals box as it reads for a sale (none: all zero): each amount written in the
 * currency, the discount and paid rows shown only when there is some, a row per tax. */
export function totalsShown(sale, currency) {
  const write = (minor) => C.formatLocal(minor, currency);
  const totals = sale ? sale.totals : NO_TOTALS;
  const off = totals.discount || 0;
  return {
    subtotal: write(totals.subtotal),
    discount: "−" + write(off),
    discountLabel: sale && sale.order_discount ? t("till.discounts_incl_sale") : t("till.discounts"),
    showDiscount: off > 0,
    taxes: (sale ? sale.taxes : []).map((tax) => ({ label: `${tax.name} ${tax.rate}%`, amount: write(tax.amount) })),
    total: write(totals.total),
    paid: write(totals.paid),
    showPaid: totals.paid > 0,
    due: write(totals.due),
  };
}

export function render() {
  const sale = state.sale;
  const body = $("lines-body");
  body.replaceChildren();
  const lines = sale ? sale.lines : [];
  for (const line of lines) {
    const chosen = line.line === state.selected;
    const name = el("button", {
      type: "button",
      class: "line-pick",
      "aria-pressed": chosen ? "true" : "false",
      "data-line": String(line.line),
    }, el("span", { class: "name" }, line.name), line.voided ? el("span", { class: "badge" }, t("till.voided")) : null);
    const discounted = !line.voided && line.discount > 0;
    const row = el("tr", {
      class: (chosen ? "selected " : "") + (line.voided ? "voided" : ""),
      "data-line": String(line.line),
    },
    el("td", { class: "num" }, String(line.line)),
    el("td", { class: "item" }, name, el("span", { class: "sku" }, line.sku), lineDetails(line)),
    el("td", { class: "num qty" }, String(line.quantity)),
    el("td", { class: "num" }, fmt(line.unit_price)),
    el("td", { class: "num amount" }, discounted ? fmt(line.net) : fmt(line.amount),
      discounted ? el("span", { class: "was" }, el("span", { class: "sr-only" }, t("till.before_discount") + " "), fmt(line.amount)) : null));
    body.append(row);
  }
  C.show($("lines"), lines.length > 0);
  C.show($("lines-empty"), lines.length === 0 && !state.done);
  const picked = body.querySelector("tr.selected");
  if (picked) picked.scrollIntoView({ block: "nearest" });

  // Totals
  const totals = sale ? sale.totals : NO_TOTALS;
  const shown = totalsShown(sale, state.currency);
  $("t-subtotal").textContent = shown.subtotal;
  $("t-discount").textContent = shown.discount;
  $("t-discount-label").textContent = shown.discountLabel;
  C.show($("t-discount-row"), shown.showDiscount);
  for (const old of document.querySelectorAll("#totals .tax-row")) old.remove();
  const anchor = $("t-total-row");
  for (const tax of shown.taxes) {
    anchor.before(el("div", { class: "tax-row" }, el("dt", {}, tax.label), el("dd", {}, tax.amount)));
  }
  $("t-total").textContent = shown.total;
  $("t-paid").textContent = shown.paid;
  C.show($("t-paid-row"), shown.showPaid);
  $("t-due").textContent = shown.due;
  // A card payment whose outcome the card network has not confirmed yet (card_pending).
  const checking = (sale && sale.card_pending) || 0;
  $("card-checking").textContent = checking > 0
    ? t("till.card_being_checked", { amount: fmt(checking) })
    : "";
  C.show($("card-checking"), checking > 0);
  if (checking > 0 && !state.checkingTimer) {
    // Read the sale again until the card network's answer has settled it.
    state.checkingTimer = setTimeout(() => { state.checkingTimer = null; reload(); }, 5000);
  }

  // What can be done now
  const open = sale && sale.status === "open";
  const line = selectedLine();
  const live = liveLines(sale).length > 0;
  const editable = open && line && !line.voided && totals.paid === 0;
  const giftLine = !!line && line.sku === GIFT_SKU; // its value is the card's: no quantity, price or discount
  const payable = open && live && totals.due > 0;
  $("pay-button").disabled = !payable;
  // A card the customer holds goes to the payment terminal; keyed in only where the store and
  // the person's role allow it (card not present).
  $("card-button").disabled = !(payable && hasTerminal());
  // Greyed out for good on a till with no terminal: say why, rather than leave a dead button.
  if (hasTerminal()) $("card-button").removeAttribute("title");
  else $("card-button").title = C.t("till.no_card_terminal");
  C.show($("keyed-button"), mayKeyCards());
  $("keyed-button").disabled = !payable;
  C.show($("pay-card-rest"), hasTerminal() || mayKeyCards());
  $("gift-button").disabled = !payable;
  $("points-button").disabled = !(payable && state.customer);
  $("qty-button").disabled = !editable || !!line.measure || giftLine;
  $("void-button").disabled = !editable;
  $("discount-button").disabled = !editable || giftLine;
  $("price-button").disabled = !editable || !!line.measure || giftLine;
  $("customer-button").disabled = !(state.me && state.me.permissions.includes("serve_customers"));
  $("giftsell-button").disabled = !!(open && totals.paid > 0);
  renderCustomer();
  $("order-discount-button").disabled = !(open && live && totals.paid === 0) || state.done;
  $("park-button").disabled = !(open && live); // a part-paid sale too: the parked list shows what it holds
  $("cancel-sale-button").disabled = !(open && totals.paid === 0 && sale.lines.length > 0);
  C.show($("sale-actions"), !state.done);
  C.show($("done-actions"), state.done);
  C.show($("done-view"), state.done);
  C.show($("lines-box"), !state.done);
}

export function setSale(sale, { select } = {}) {
  takeSale(sale, { select, extrasOf: loadExtras });
  try {
    if (sale && sale.status === "open") sessionStorage.setItem(SALE_KEY, String(sale.id));
    else sessionStorage.removeItem(SALE_KEY);
  } catch (e) {
    /* no storage: a reload starts a fresh sale */
  }
  render();
}

/** Runs `act` with the till busy (a second press meanwhile does nothing); a refusal or a
 * failure is said in `errorNode`. */
export async function whileBusy(errorNode, act) {
  state.busy = true;
  try {
    await act();
  } catch (err) {
    say(errorNode, err.message);
  } finally {
    state.busy = false;
  }
}

export function announce(text) {
  $("sale-status").textContent = text;
}

export function showError(message) {
  say($("sale-error"), message);
  const input = $("scan-input");
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
}

export function focusScan() {
  if (document.querySelector("dialog[open]")) return;
  if ($("app-view").hidden) return;
  $("scan-input").focus();
}


export async function reload() {
  if (!state.sale) return;
  try {
    setSale(await api("GET", `/sales/${state.sale.id}`));
  } catch (e) {
    /* keep what is on screen */
  }
}

export function moveSelection(step) {
  if (stepSelection(step)) render();
}


export function newSale({ keepFocus } = {}) {
  if (state.done && state.sale) forgetExtras(state.sale.id);
  clearSale();
  C.show($("loyalty-note"), false);
  C.show($("gift-offline-note"), false);
  C.show($("cards-issued"), false);
  try {
    sessionStorage.removeItem(SALE_KEY);
  } catch (e) {
    /* nothing kept */
  }
  C.show($("change-box"), false);
  $("receipt-text").textContent = "";
  showError("");
  render();
  if (!keepFocus) focusScan();
}

export function clock(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleTimeString(C.locale(), { hour: "2-digit", minute: "2-digit" });
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  $("lines-body").addEventListener("click", (event) => {
    const row = event.target.closest("tr[data-line]");
    if (!row) return;
    selectLine(Number(row.dataset.line));
    render();
    focusScan();
  });
}
