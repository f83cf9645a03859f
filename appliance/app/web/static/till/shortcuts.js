/* The till: its buttons and keys (the shortcut table, a key kept while busy). */

import C, { $ } from "../comptoir.js";
import { keepKey, state } from "./state.js";
import { openCard, openRestByCard } from "./card.js";
import { openCustomer } from "./customers.js";
import { openDiscount } from "./discount.js";
import { openNoSale, openPrinterQueue, openReprint } from "./drawer.js";
import { openGiftSell } from "./giftcards.js";
import { openItems } from "./items.js";
import { openCancel, openQuantity, openVoid } from "./lines.js";
import { openNoReceipt } from "./noreceipt.js";
import { openParked, park } from "./parked.js";
import { openPay } from "./payment.js";
import { openPrice } from "./price.js";
import { openRefund } from "./returns.js";
import { focusScan, moveSelection, newSale } from "./sale.js";
import { openShift } from "./shifts.js";
import { openGift, openPoints } from "./tenders.js";
import { openClock } from "./timeclock.js";

/* The shortcuts, by the name of what they do; the keys dialog (Alt+K) lists the same. */
export const FKEY_ACTS = {
  F2: "pay", F3: "quantity", F4: "void", F6: "card", F7: "discount", F8: "cancel", F9: "next", F10: "park",
};
export const ALT_ACTS = {
  l: "parked", r: "refund", d: "orderDiscount", p: "price", k: "keys", s: "shift", n: "nosale", c: "reprint",
  t: "clock", u: "customer", i: "giftsell", w: "noreceipt", e: "items", g: "gift", o: "points",
};
const TENDERS = new Set(["gift", "points"]); // tenders: not on the receipt screen

const ACTS = {
  pay: openPay, quantity: openQuantity, void: openVoid, card: () => openCard(), discount: () => openDiscount(false),
  cancel: openCancel, next: () => newSale(), park: () => park(),
  parked: () => openParked(), refund: () => openRefund(), orderDiscount: () => openDiscount(true), price: openPrice,
  keys: () => C.openDialog($("keys-dialog")), shift: openShift, nosale: openNoSale, reprint: openReprint,
  clock: openClock, customer: openCustomer, giftsell: openGiftSell, noreceipt: openNoReceipt, items: openItems,
  gift: openGift, points: openPoints,
};

const hasOwn = (table, key) => Object.prototype.hasOwnProperty.call(table, key);

/** A key the till keeps for later when it is busy: an F-key of its own, or Alt and a letter. */
export function isShortcut(event) {
  if (hasOwn(FKEY_ACTS, event.key)) return true;
  return event.altKey && !event.ctrlKey && !event.metaKey && /^[a-z]$/i.test(event.key);
}

/** What a key does on the till: null when it is no shortcut (it goes on to the fields), else
 * {act} with the name of what it does, or act null when that is not for now (a dialog is open,
 * or the receipt is on screen: F9 only then, the tenders never then); either way the browser
 * does nothing more with the key. `dialog`: null, "refund" (the return dialog) or "other". */
export function shortcut(event, { dialog, done }) {
  if (hasOwn(FKEY_ACTS, event.key)) {
    const act = FKEY_ACTS[event.key];
    return { act: !dialog && (act === "next" ? done : !done) ? act : null };
  }
  if (event.altKey && !event.ctrlKey && !event.metaKey) {
    const key = event.key.toLowerCase();
    if (hasOwn(ALT_ACTS, key)) {
      const act = ALT_ACTS[key];
      // The return dialog's own "No receipt" key works from inside it.
      if (act === "noreceipt" && dialog === "refund") return { act };
      return { act: !dialog && !(TENDERS.has(act) && done) ? act : null };
    }
  }
  return null;
}

/** The till's keys; `event` is a keydown, or one kept while the till was busy. */
export function onKey(event) {
  if ($("app-view").hidden) return;
  if (!event.target) event = { ...event, target: document.activeElement, preventDefault() {} };
  const dialogOpen = document.querySelector("dialog[open]");
  const dialog = !dialogOpen ? null : dialogOpen === $("refund-dialog") ? "refund" : "other";
  const found = shortcut(event, { dialog, done: state.done });
  if (found) {
    event.preventDefault();
    if (found.act) ACTS[found.act]();
    return;
  }
  if (dialogOpen) return;
  const target = event.target;
  const inField = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement;
  if (target === $("scan-input") && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
    event.preventDefault();
    moveSelection(event.key === "ArrowUp" ? -1 : 1);
    return;
  }
  // A scanner (or a person) typing while a button has the focus: the keys go to the scan field.
  if (!inField && !event.ctrlKey && !event.altKey && !event.metaKey && event.key.length === 1 && event.key !== " ") {
    event.preventDefault();
    const input = $("scan-input");
    input.focus();
    input.value += event.key;
  }
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  $("pay-button").addEventListener("click", openPay);
  $("card-button").addEventListener("click", () => openCard());
  $("qty-button").addEventListener("click", openQuantity);
  $("void-button").addEventListener("click", openVoid);
  $("discount-button").addEventListener("click", () => openDiscount(false));
  $("order-discount-button").addEventListener("click", () => openDiscount(true));
  $("price-button").addEventListener("click", openPrice);
  $("park-button").addEventListener("click", park);
  $("parked-button").addEventListener("click", () => openParked());
  $("refund-button").addEventListener("click", () => openRefund());
  $("keys-button").addEventListener("click", () => C.openDialog($("keys-dialog")));
  $("cancel-sale-button").addEventListener("click", openCancel);
  $("shift-button").addEventListener("click", openShift);
  $("nosale-button").addEventListener("click", openNoSale);
  $("reprint-button").addEventListener("click", openReprint);
  $("clock-button").addEventListener("click", openClock);
  $("printer-button").addEventListener("click", openPrinterQueue);
  $("new-sale-button").addEventListener("click", () => newSale());
  $("items-button").addEventListener("click", openItems);
  $("customer-button").addEventListener("click", openCustomer);
  $("giftsell-button").addEventListener("click", openGiftSell);
  $("gift-button").addEventListener("click", openGift);
  $("points-button").addEventListener("click", openPoints);
  $("refund-noreceipt").addEventListener("click", openNoReceipt);
  $("pay-card-rest").addEventListener("click", () => {
    if (state.busy) return;
    C.closeDialog($("pay-dialog"));
    openRestByCard();
  });

  document.addEventListener("keydown", (event) => {
    if (state.busy && !$("app-view").hidden && isShortcut(event)) {
      event.preventDefault();
      keepKey(event);
      return;
    }
    onKey(event);
  });

  // Keep the scan field focused when a tap lands on nothing that takes focus.
  document.addEventListener("click", (event) => {
    if (event.target.closest("input, textarea, select, a, pre, dialog")) return;
    if (event.target.closest("button") && !event.target.closest("#lines-body")) return;
    focusScan();
  });
}
