/* The back office's stock, customers and time: time clock; stock (levels, adjustments, rules,
 * counts, movements), suppliers and purchase orders; customers and their points; gift cards;
 * what the card terminal left for a manager to check;
 * reports with CSV; the till's item buttons. office.js shows the sections (by the URL's hash
 * and the role's permissions; inside a section, an element with data-needs shows only to a
 * role that holds it).
 *
 * This file only puts the parts together: each section is a module of static/backoffice/,
 * all sharing one state (backoffice/shared.js); then they register with the office's frame.
 */
import Office from "./office.js";
import { frame, state } from "./backoffice/shared.js";
import * as clock from "./backoffice/clock.js";
import * as stock from "./backoffice/stock.js";
import * as count from "./backoffice/count.js";
import * as movements from "./backoffice/movements.js";
import * as suppliers from "./backoffice/suppliers.js";
import * as orders from "./backoffice/orders.js";
import * as customers from "./backoffice/customers.js";
import * as giftcards from "./backoffice/giftcards.js";
import * as terminal from "./backoffice/terminal.js";
import * as reports from "./backoffice/reports.js";
import * as itemgrid from "./backoffice/itemgrid.js";

frame.can = Office.can;
frame.route = Office.route;

const PARTS = [clock, stock, count, movements, suppliers, orders, customers, giftcards, terminal, reports, itemgrid];
for (const part of PARTS) part.wire();

const each = (hook, ...args) => {
  for (const part of PARTS) if (part[hook]) part[hook](...args);
};

Office.register({
  loaders: Object.assign({}, ...PARTS.map((part) => part.loaders || {})),
  onReady(me, settings) {
    state.me = me;
    state.currency = settings.currency;
    for (const node of document.querySelectorAll(".currency")) node.textContent = settings.currency;
    each("onReady", me, settings);
    state.suppliersLoaded = false;
  },
  // A change of language: what is drawn from what the screen holds is drawn again (an
  // arrangement of buttons not saved yet stays); the rest reads afresh from the API.
  redraw: Object.assign({}, ...PARTS.map((part) => part.redraw || {})),
  onLanguage() {
    each("onLanguage");
  },
  onLoggedOut() {
    state.me = null;
  },
});
