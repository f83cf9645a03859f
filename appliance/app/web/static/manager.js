/* The back office's catalogue, staff and store: products, CSV import, promotions, staff
 * accounts, store rules, the sales report, the audit log. office.js shows the sections (by
 * the URL's hash, #products, #import, …, and by the role's permissions).
 *
 * This file only puts the parts together: each section is a module of static/manager/,
 * all sharing one state (manager/shared.js); then they register with the office's frame.
 */
import Office from "./office.js";
import { knownZone } from "./dates.js";
import { state } from "./manager/shared.js";
import { loadCategories } from "./manager/catalogue.js";
import { loadPromotions } from "./manager/promotions.js";
import * as catalogue from "./manager/catalogue.js";
import * as imports from "./manager/import.js";
import * as promotions from "./manager/promotions.js";
import * as staff from "./manager/staff.js";
import * as rules from "./manager/rules.js";
import * as sales from "./manager/sales.js";
import * as audit from "./manager/audit.js";

const PARTS = [catalogue, imports, promotions, staff, rules, sales, audit];
for (const part of PARTS) part.wire();

const each = (hook, ...args) => {
  for (const part of PARTS) if (part[hook]) part[hook](...args);
};

Office.register({
  loaders: {
    ...catalogue.loaders,
    promotions: () => Promise.all([loadCategories(), loadPromotions()]),
    ...staff.loaders, ...rules.loaders, ...audit.loaders,
  },
  onReady(me, settings) {
    state.me = me;
    state.currency = settings.currency;
    state.timezone = knownZone(settings.timezone); // a zone this browser does not know: its own clock
    for (const code of document.querySelectorAll(".currency-code")) code.textContent = settings.currency;
    each("onReady");
  },
  onLanguage() {
    each("onLanguage");
  },
  onLoggedOut() {
    state.me = null;
    each("onLoggedOut");
  },
});
