/* The till: scan, quantities, voids, discounts and price overrides (with a supervisor's
 * approval when the role's own rights stop), cash, card, gift card and points tenders (split
 * as needed), park and resume, returns found by the receipt number or the day (to the
 * original tenders or to store credit) and returns without a receipt, the customer on the
 * sale (found or enrolled, their points), gift cards sold and topped up, printer and network
 * status.
 *
 * Goods without a barcode: letters typed in the scan field list the products whose name (or a
 * word of it, or the sku) starts with them, to pick with the arrows and Enter or a touch; the
 * item buttons (Alt+E) show the back office's grid, a tab per category; 4 or 5 digits are a
 * PLU (loose produce); an item sold by weight asks for its weight.
 *
 * The barcode field keeps the focus: a keyboard-wedge scanner types digits then Enter, so
 * any printable key typed while no field or dialog has the focus goes into it. Scans are
 * queued and sent one at a time, because each answer is the whole sale.
 *
 * A scanner's burst is also caught whatever has the focus (scanner.js, in the capture phase:
 * its digits never land in a dialog's field), and the till's own HID/serial scanners arrive
 * over GET /scans/stream. The drawer: shifts (counted float, paid in/out, X report, blind
 * close, Z report), "no sale", reprints marked COPY, the printer's queue; and the time clock.
 *
 * This file only puts the parts together: each part of the till is a module of static/till/
 * (one per part of the screen), all sharing one state (till/state.js); then the session starts.
 */
import C, { $, api } from "./comptoir.js";
import { SALE_KEY } from "./till/constants.js";
import { setStatus, startStatus } from "./till/devices.js";
import { LAST_KEY, rememberLast } from "./till/drawer.js";
import { recoverOpenSale, refreshParked } from "./till/parked.js";
import { focusScan, liveLines, newSale, render } from "./till/sale.js";
import { startScanStream, stopScanStream } from "./till/scanners.js";
import { refreshShift } from "./till/shifts.js";
import { refreshClock } from "./till/timeclock.js";
import { state, whenFree } from "./till/state.js";
import { onKey } from "./till/shortcuts.js";
import * as weight from "./till/weight.js";
import * as search from "./till/search.js";
import * as items from "./till/items.js";
import * as sale from "./till/sale.js";
import * as keypad from "./till/keypad.js";
import * as lines from "./till/lines.js";
import * as payment from "./till/payment.js";
import * as discount from "./till/discount.js";
import * as price from "./till/price.js";
import * as returns from "./till/returns.js";
import * as card from "./till/card.js";
import * as terminal from "./till/terminal.js";
import * as customers from "./till/customers.js";
import * as giftcards from "./till/giftcards.js";
import * as tenders from "./till/tenders.js";
import * as noreceipt from "./till/noreceipt.js";
import * as devices from "./till/devices.js";
import * as shifts from "./till/shifts.js";
import * as drawer from "./till/drawer.js";
import * as timeclock from "./till/timeclock.js";
import * as scanners from "./till/scanners.js";
import * as shortcuts from "./till/shortcuts.js";

// Each part finds its buttons and fields once, in the order the screen was built in (parts
// that listen on one node, as the wedge and the shortcuts both do on the keys, keep theirs).
const PARTS = [
  weight, search, items, sale, keypad, lines, payment, discount, price, returns, card, terminal, customers,
  giftcards, tenders, noreceipt, devices, shifts, drawer, timeclock, scanners, shortcuts,
];
for (const part of PARTS) part.wire();
whenFree(onKey); // a shortcut kept while the till was busy is played once it is free

const session = C.session({
  words: true, // cashier.html is marked for the shop's words (till.*)
  async onReady(me, settings) {
    state.me = me;
    state.currency = settings.currency;
    state.timezone = settings.timezone;
    state.cards = true; // until a card tender says the till has no gateway
    state.printer = true;
    for (const code of document.querySelectorAll(".currency-code")) code.textContent = settings.currency;
    // One back office, for whoever may open a part of it (a cashier: customers, gift cards, the clock).
    const office = ["clock_in", "serve_customers", "manage_stock", "manage_products", "manage_users", "view_reports", "view_audit"]
      .some((p) => me.permissions.includes(p));
    C.show($("to-backoffice"), office);
    startStatus();
    terminal.startTerminalStatus();
    refreshShift();
    refreshClock();
    startScanStream();
    try {
      const last = JSON.parse(sessionStorage.getItem(LAST_KEY) || "null");
      rememberLast(last && Number.isInteger(last.id) ? { id: last.id, receipt_number: last.receipt } : null);
    } catch (e) {
      rememberLast(null);
    }
    let remembered = null; // the sale this tab had on screen before a reload
    try {
      remembered = sessionStorage.getItem(SALE_KEY);
    } catch (e) {
      remembered = null;
    }
    newSale({ keepFocus: true });
    // A sale is never lost by the screen: what is open on this till comes back.
    await recoverOpenSale(remembered);
    await terminal.resumeTerminal(); // a card still on the terminal: its dialog, not a second tender
    focusScan();
  },
  async beforeLogout() {
    // The server parks the sales this user opened; one taken up from someone else too.
    const sale = state.sale;
    if (sale && sale.status === "open" && !sale.parked && liveLines(sale).length && !state.done) {
      await api("POST", `/sales/${sale.id}/park`, { json: {} });
    }
  },
  onLanguage() {
    // The words the page marks are in place (common.js applyWords); what the parts wrote
    // themselves is written again from the same state: the sale on screen stays as it is.
    render();
    startStatus();
    terminal.startTerminalStatus();
    refreshShift();
    refreshClock();
    refreshParked();
  },
  onLoggedOut() {
    state.me = null;
    stopScanStream();
    state.shift = null;
    setStatus("shift-button", "shift-text", "unknown", C.t("till.shift"));
    newSale({ keepFocus: true });
  },
});
session.start();
