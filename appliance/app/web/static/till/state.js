/* The till's state: one object every part of the till reads, and the transitions that change
 * the sale on screen, the line picked, the tender under way and the busy flag together.
 * No page here (no document, no storage), so node --test runs these as they are. */

import { uuid } from "../comptoir.js";

export const state = {
  me: null,
  currency: "CAD",
  sale: null, // the sale as the API last returned it
  selected: null, // a line number
  done: false, // the sale completed; the receipt is on screen
  queue: [],
  scanning: false,
  tender: null, // {amount, key}: reused if the same tender is retried after a failure
  confirmCash: null, // an outsized cash amount shown once for the cashier to confirm
  voidApproval: false,
  discountFor: null, // {line} or {order: true}
  refundSale: null, // the sale being returned
  refundKey: null, // Idempotency-Key of the refund on screen
  officeReceipt: null, // another lane's receipt being returned, as the office answered it
  officeReturn: null, // {key, json}: a return the office's answer was lost for, sent again as it was
  giftOffline: null, // the sale a gift card was taken offline on (the office did not answer)
  giftSellKey: null, // {what, key}: the Idempotency-Key of the gift card being put on the sale
  customer: null, // the customer named on the sale on screen, as the API last gave them
  giftCards: [], // gift cards sold or topped up on the sale on screen: {code, kind, amount, line}
  extrasFor: null, // the sale id that `customer` and `giftCards` belong to
  noreceipt: [], // the items of a return without a receipt: {product, quantity}
  noreceiptKey: null,
  keyWhileBusy: null, // the last shortcut pressed while the till was busy, played once it is not
  terminal: undefined, // the payment terminal's status; false on a till without one
  keyedCards: false, // the store rule: a card not present may be keyed in (GET /settings)
};

/** Whether the Card tender goes to a payment terminal on this till. */
export function hasTerminal() {
  return !!state.terminal;
}

/** Whether "Card not present (keyed)" is offered: the store allows it and the person logged
 * in may take one (a manager); the API refuses it otherwise anyway. */
export function mayKeyCards() {
  return !!(state.keyedCards && state.me && state.me.permissions.includes("keyed_card"));
}

// `busy` is set by every call that must finish before the next act (a payment, a refund…).
// A shortcut pressed meanwhile (F9 for the next sale as the payment goes through) is kept
// and played when the till is free again, instead of being lost.
let busy = false;
let replay = null; // the till's keys (shortcuts.js onKey), told by whenFree()
Object.defineProperty(state, "busy", {
  get: () => busy,
  set: (value) => {
    busy = !!value;
    if (!busy && state.keyWhileBusy) {
      const kept = state.keyWhileBusy;
      state.keyWhileBusy = null;
      setTimeout(() => replay && replay(kept), 0);
    }
  },
});

/** Who plays a shortcut kept while the till was busy, once it is free. */
export function whenFree(play) {
  replay = play;
}

/** A shortcut pressed while busy: the last one is kept (the keys of it only, not the event). */
export function keepKey(event) {
  state.keyWhileBusy = { key: event.key, altKey: event.altKey, ctrlKey: false, metaKey: false };
}

/** The sale as the API answered. A sale other than the one on screen brings its own customer
 * and gift cards (`extrasOf(id)`, what this tab kept of them); the sale's own customer wins.
 * The picked line stays picked while the sale still has it. */
export function takeSale(sale, { select, extrasOf = () => ({}) } = {}) {
  state.sale = sale;
  if (sale && state.extrasFor !== sale.id) {
    const extras = extrasOf(sale.id); // a resumed or reloaded sale gets its customer back
    state.customer = extras.customer || null;
    state.giftCards = extras.cards || [];
    state.extrasFor = sale.id;
  }
  // The sale names its customer itself (a sale resumed on another till, too).
  if (sale && sale.customer !== undefined) state.customer = sale.customer;
  if (select !== undefined) state.selected = select;
  if (state.selected !== null && !sale.lines.some((l) => l.line === state.selected)) state.selected = null;
}

/** The sale is paid: its receipt is on screen, no line picked. */
export function saleDone() {
  state.done = true;
  state.selected = null;
}

/** Nothing on screen: the next sale starts empty, with no customer and no tender kept. */
export function clearSale() {
  state.sale = null;
  state.selected = null;
  state.done = false;
  state.tender = null;
  state.customer = null;
  state.giftCards = [];
  state.extrasFor = null;
}

/** A line picked by its number (a touch on it). */
export function selectLine(number) {
  state.selected = number;
}

/** The arrows: the line above or below the picked one, the first or last when none is; false
 * when the sale has no line. */
export function stepSelection(step) {
  if (!state.sale || !state.sale.lines.length) return false;
  const numbers = state.sale.lines.map((l) => l.line);
  let i = numbers.indexOf(state.selected);
  i = i < 0 ? (step > 0 ? 0 : numbers.length - 1) : Math.min(Math.max(i + step, 0), numbers.length - 1);
  state.selected = numbers[i];
  return true;
}

/** One Idempotency-Key per tender attempt; a retry of the same one after a failure with no
 * answer (the network) reuses it, any real answer makes the next try a new payment. */
export function tenderKey(method, amount, extra, newKey = uuid) {
  const t = state.tender;
  if (!t || t.amount !== amount || t.sale !== state.sale.id || t.method !== method || t.extra !== extra) {
    state.tender = { amount, sale: state.sale.id, method, extra, key: newKey() };
  }
  return state.tender.key;
}
