/* The till: returns without a receipt. */

import C, { $, api, el, say } from "../comptoir.js";
import { state } from "./state.js";
import { approvalBox, reasonGiven, withApproval } from "./approval.js";
import { announce, fmt } from "./sale.js";

let noreceiptApproval; // set by wire(): it reads the page

const mayGiveCredit = () => !!(state.me && state.me.permissions.includes("store_credit"));

export function creditHint(hint) {
  const allowed = mayGiveCredit();
  $(hint).textContent = allowed ? "" : C.t("till.store_credit_needs_manager");
  C.show($(hint), !allowed);
}

/** The approval to ask for: a manager's for store credit covers the return it is. */
export function returnPermission(credit, plain) {
  return credit && !mayGiveCredit() ? "store_credit" : plain;
}

export function openNoReceipt() {
  if (state.busy) return;
  C.closeDialog($("refund-dialog"));
  state.noreceipt = [];
  state.noreceiptKey = null;
  noreceiptApproval.reset();
  renderNoReceipt();
  $("noreceipt-code").value = "";
  $("noreceipt-qty").value = "1";
  $("noreceipt-reason").value = "";
  $("noreceipt-to-cash").checked = true;
  creditHint("noreceipt-to-hint");
  say($("noreceipt-done"), "");
  $("noreceipt-submit").disabled = false;
  C.openDialog($("noreceipt-dialog"), $("noreceipt-code"));
  if (noreceiptApproval.askUnlessAllowed("return_without_receipt", "till.role_may_not_return_without_receipt")) {
    $("noreceipt-code").focus();
  }
}

function renderNoReceipt() {
  const body = $("noreceipt-body");
  body.replaceChildren();
  state.noreceipt.forEach((item, i) => {
    const price = el("input", {
      class: "qty-input price-input", inputmode: "decimal", autocomplete: "off", maxlength: "12",
      value: C.formatAmount(item.price, state.currency).replace(/,/g, ""),
      "aria-label": C.t("till.refund_price_of", { name: item.product.name, currency: state.currency }),
    });
    price.addEventListener("input", () => {
      item.priceText = price.value;
    });
    if (item.priceText !== undefined) price.value = item.priceText;
    const drop = el("button", { type: "button", class: "ghost", "aria-label": C.t("till.remove_item", { name: item.product.name }) }, C.t("till.remove"));
    drop.addEventListener("click", () => {
      state.noreceipt.splice(i, 1);
      renderNoReceipt();
      $("noreceipt-code").focus();
    });
    body.append(el("tr", {},
      el("td", {}, item.product.name, el("span", { class: "sku" }, " " + item.product.sku)),
      el("td", { class: "num" }, String(item.quantity)),
      el("td", { class: "num" }, fmt(item.product.price)),
      el("td", { class: "num" }, price),
      el("td", {}, drop)));
  });
  C.show($("noreceipt-table"), state.noreceipt.length > 0);
}

async function findProduct(code) {
  if (/^\d+$/.test(code)) {
    const byBarcode = await api("GET", "/products?" + new URLSearchParams({ barcode: code }));
    if (byBarcode.products.length) return byBarcode.products[0];
  }
  const found = await api("GET", "/products?" + new URLSearchParams({ q: code }));
  const exact = found.products.find((p) => p.sku.toUpperCase() === code.toUpperCase());
  return exact || (found.products.length === 1 ? found.products[0] : null);
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  noreceiptApproval = approvalBox("noreceipt");

  $("noreceipt-add").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const code = $("noreceipt-code").value.trim();
    const qtyText = $("noreceipt-qty").value.trim() || "1";
    say($("noreceipt-error"), "");
    if (!code) {
      say($("noreceipt-error"), C.t("till.scan_barcode_or_sku"));
      $("noreceipt-code").focus();
      return;
    }
    if (!/^\d{1,5}$/.test(qtyText) || Number(qtyText) < 1) {
      say($("noreceipt-error"), C.t("till.quantity_one_or_more"));
      $("noreceipt-qty").focus();
      return;
    }
    state.busy = true;
    try {
      const product = await findProduct(code);
      if (!product) {
        say($("noreceipt-error"), C.t("till.no_item_has_code", { code }));
        return;
      }
      state.noreceipt.push({ product, quantity: Number(qtyText), price: product.price });
      renderNoReceipt();
      $("noreceipt-code").value = "";
      $("noreceipt-qty").value = "1";
    } catch (err) {
      say($("noreceipt-error"), err.message);
    } finally {
      state.busy = false;
      $("noreceipt-code").focus();
    }
  });

  $("noreceipt-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    if (!state.noreceipt.length) {
      say($("noreceipt-error"), C.t("till.add_items_back_first"));
      $("noreceipt-code").focus();
      return;
    }
    const lines = [];
    for (const item of state.noreceipt) {
      const text = item.priceText === undefined ? null : item.priceText.trim();
      const price = text === null ? item.product.price : C.parseAmount(text, state.currency);
      if (price === null || price > item.product.price) {
        say($("noreceipt-error"), C.t("till.refund_price_up_to", { name: item.product.name, price: fmt(item.product.price) }));
        return;
      }
      const line = { sku: item.product.sku, quantity: item.quantity };
      if (price !== item.product.price) line.unit_price = price;
      lines.push(line);
    }
    const reason = reasonGiven("noreceipt-reason", $("noreceipt-error"), "till.say_why_back");
    if (reason === null) return;
    const refundTo = $("noreceipt-to-credit").checked ? "gift_card" : "cash";
    if (!state.noreceiptKey) state.noreceiptKey = C.uuid();
    state.busy = true;
    say($("noreceipt-error"), "");
    let answer = null;
    try {
      answer = await withApproval(noreceiptApproval, returnPermission(refundTo === "gift_card", "return_without_receipt"),
        $("noreceipt-error"),
        (headers) => api("POST", "/returns", {
          json: { lines, reason, refund_to: refundTo },
          headers: { ...headers, "Idempotency-Key": state.noreceiptKey },
        }).catch((err) => {
          if (err.status !== 0) state.noreceiptKey = null; // a real answer: the next try is new
          throw err;
        }),
        (err) => err.code === "forbidden");
    } finally {
      state.busy = false;
    }
    if (!answer) return;
    state.noreceiptKey = null;
    noreceiptApproval.reset();
    state.noreceipt = [];
    renderNoReceipt();
    const money = (minor) => C.moneyLocal(minor, answer.currency || state.currency);
    const amount = money(answer.amount);
    // Cash goes back in whole coins: the rounding says what leaves the drawer, as for a refund.
    const done = answer.gift_card
      ? C.t("till.store_credit_given", { amount, code: answer.gift_card.code })
      : answer.rounding
        ? C.t("till.refund_to_cash_rounded", { cash: money(answer.amount + answer.rounding), amount })
        : C.t("till.refunded_in_cash", { amount });
    say($("noreceipt-done"), done);
    announce(done);
    $("noreceipt-submit").disabled = true;
    $("noreceipt-dialog").querySelector(".close-dialog").focus();
  });
}
