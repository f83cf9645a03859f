/* The till: the customer on the sale (found or enrolled, their points), kept per sale in this tab. */

import C, { $, api, el, say } from "../comptoir.js";
import { state } from "./state.js";
import { EXTRAS_KEY } from "./constants.js";
import { announce, newSale, render, setSale } from "./sale.js";
import { ensureSale } from "./scan.js";

/** The customer and gift cards of a sale live on this screen (the sale's view does not
 * carry them): kept per sale id in sessionStorage, so a reload or a resume finds them. */
export function loadExtras(id) {
  try {
    const all = JSON.parse(sessionStorage.getItem(EXTRAS_KEY) || "{}");
    return (all && all[id]) || {};
  } catch (e) {
    return {};
  }
}

export function saveExtras() {
  if (!state.sale) return;
  try {
    const all = JSON.parse(sessionStorage.getItem(EXTRAS_KEY) || "{}") || {};
    all[state.sale.id] = { customer: state.customer, cards: state.giftCards };
    const ids = Object.keys(all).map(Number).sort((a, b) => a - b);
    for (const old of ids.slice(0, Math.max(ids.length - 20, 0))) delete all[old]; // parked sales are few
    sessionStorage.setItem(EXTRAS_KEY, JSON.stringify(all));
  } catch (e) {
    /* kept for this page only */
  }
}

export function forgetExtras(id) {
  try {
    const all = JSON.parse(sessionStorage.getItem(EXTRAS_KEY) || "{}") || {};
    delete all[id];
    sessionStorage.setItem(EXTRAS_KEY, JSON.stringify(all));
  } catch (e) {
    /* nothing kept */
  }
}

export function pointsWords(c) {
  return C.t(c.points === 1 ? "till.one_point_worth" : "till.points_worth", { count: c.points, value: C.moneyLocal(c.points_value, state.currency) });
}

export function renderCustomer() {
  const c = state.customer;
  C.show($("customer-box"), !!c && !state.done); // on the receipt screen, the points note says it
  if (!c) return;
  $("customer-name").textContent = c.name;
  $("customer-points").textContent = pointsWords(c);
}

function setCustomer(customer) {
  const before = state.customer;
  if (customer && before && before.id === customer.id && customer.card_shown === undefined) {
    customer = { ...customer, card_shown: before.card_shown }; // a fresh read of their points
  }
  state.customer = customer || null;
  if (state.sale) state.extrasFor = state.sale.id;
  saveExtras();
  render();
}

/** The customer's points as they stand now (after a redemption, or the sale's earning). */
export async function refreshCustomer() {
  if (!state.customer) return null;
  try {
    const fresh = await api("GET", `/customers/${state.customer.id}`);
    if (state.customer && state.customer.id === fresh.id) setCustomer(fresh);
    return fresh;
  } catch (e) {
    return null; // the points on screen stay as they were
  }
}

export function openCustomer() {
  if (state.busy || $("customer-button").disabled) return;
  if (state.done) newSale({ keepFocus: true }); // the customer of the next sale
  say($("customer-done"), "");
  $("customer-q").value = "";
  $("customer-body").replaceChildren();
  C.show($("customer-table"), false);
  C.show($("customer-none"), false);
  showEnrol(false);
  renderCustomerCurrent();
  C.openDialog($("customer-dialog"), $("customer-q"));
}

function renderCustomerCurrent() {
  const c = state.customer;
  C.show($("customer-current"), !!c);
  if (c) $("customer-current-text").textContent = C.t("till.on_this_sale", { name: c.name, points: pointsWords(c) });
}

function showEnrol(open) {
  C.show($("customer-new-form"), open);
  $("customer-new-toggle").setAttribute("aria-expanded", open ? "true" : "false");
  if (!open) return;
  const q = $("customer-q").value.trim();
  $("customer-new-name").value = q && !/[@\d]/.test(q) ? q : "";
  $("customer-new-email").value = q.includes("@") ? q : "";
  $("customer-new-phone").value = /^\+?[\d\s().-]{6,}$/.test(q) ? q : "";
  $("customer-new-consent").checked = false;
  $("customer-new-card").value = "";
  $("customer-new-name").focus();
}

/** PUT /sales/{id}/customer: names (or, with null, clears) the customer of the open sale;
 * named by their card's number, they have shown it and may spend points. */
async function attachCustomer(id, name, card = null) {
  if (state.busy) return;
  state.busy = true;
  say($("customer-error"), "");
  try {
    const sale = await ensureSale();
    const json = card ? { loyalty_card: card } : { customer_id: id };
    const answer = await api("PUT", `/sales/${sale.id}/customer`, { json });
    const customer = answer.customer || null;
    delete answer.customer;
    setSale(answer);
    setCustomer(customer);
    C.closeDialog($("customer-dialog"));
    announce(customer ? C.t("till.named_on_sale", { name: customer.name, points: pointsWords(customer) })
      : C.t("till.taken_off_sale", { name: name || C.t("till.the_customer") }));
  } catch (err) {
    say($("customer-error"), err.message);
  } finally {
    state.busy = false;
  }
}

/** After the sale: the points it earned the customer (from their purchase history). */
export async function showPointsEarned(sale) {
  const c = state.customer;
  if (!c) return;
  const still = () => state.done && state.sale && state.sale.id === sale.id;
  try {
    const history = await api("GET", `/customers/${c.id}/purchases?limit=20`);
    const fresh = await api("GET", `/customers/${c.id}`);
    if (!still()) return;
    const mine = history.purchases.find((p) => p.sale_id === sale.id);
    const earned = mine ? mine.points_earned : 0;
    setCustomer(fresh);
    $("loyalty-note").textContent = C.t(earned === 1 ? "till.earned_one_point" : "till.earned_points",
      { name: fresh.name, count: earned, balance: pointsWords(fresh) });
    C.show($("loyalty-note"), true);
    announce(C.t("till.announce_earned", { name: fresh.name, count: earned }));
  } catch (e) {
    if (still()) {
      $("loyalty-note").textContent = C.t("till.points_not_read", { name: c.name, why: e.message });
      C.show($("loyalty-note"), true);
    }
  }
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  $("customer-new-toggle").addEventListener("click", () => showEnrol($("customer-new-form").hidden));

  $("customer-find").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const q = $("customer-q").value.trim();
    say($("customer-error"), "");
    say($("customer-done"), "");
    if (!q) {
      say($("customer-error"), C.t("till.type_phone_email_name"));
      $("customer-q").focus();
      return;
    }
    state.busy = true;
    let found = null;
    try {
      found = await api("GET", "/customers?" + new URLSearchParams({ q }));
      const body = $("customer-body");
      body.replaceChildren();
      for (const c of found.customers) {
        const pick = el("button", { type: "button", class: "primary", "aria-label": C.t("till.name_on_sale", { name: c.name }) }, C.t("till.choose"));
        pick.addEventListener("click", () => attachCustomer(c.id, c.name, found.by_card ? q : null));
        // Not on this till before: found at the office, made at another lane.
        const name = found.from_office
          ? el("td", {}, c.name, " ", el("small", { class: "from-office" }, `(${C.t("till.from_another_store")})`))
          : el("td", {}, c.name);
        body.append(el("tr", {},
          name,
          // The till gets a hint (the phone's last digits), never the contact details themselves.
          el("td", {}, c.contact_hint || "—"),
          el("td", { class: "num" }, String(c.points)),
          el("td", {}, pick)));
      }
      const any = found.customers.length > 0;
      C.show($("customer-table"), any);
      C.show($("customer-none"), !any);
      const first = body.querySelector("button");
      if (first) first.focus();
    } catch (err) {
      say($("customer-error"), err.message);
    } finally {
      state.busy = false;
    }
    // A scanned loyalty card names its holder at once: the card in hand is the choice.
    if (found && found.by_card && found.customers.length === 1) await attachCustomer(null, found.customers[0].name, q);
  });

  $("customer-clear").addEventListener("click", () => {
    if (state.customer) attachCustomer(null, state.customer.name);
  });

  $("customer-new-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const name = $("customer-new-name").value.trim();
    if (!name) {
      say($("customer-error"), C.t("till.type_customer_name"));
      $("customer-new-name").focus();
      return;
    }
    state.busy = true;
    say($("customer-error"), "");
    let created = null;
    const card = $("customer-new-card").value.trim();
    try {
      created = await api("POST", "/customers", {
        json: {
          name,
          email: $("customer-new-email").value.trim() || null,
          phone: $("customer-new-phone").value.trim() || null,
          consent: $("customer-new-consent").checked,
          loyalty_card: card || null,
        },
      });
    } catch (err) {
      say($("customer-error"), err.message);
    } finally {
      state.busy = false;
    }
    if (created) await attachCustomer(created.id, created.name, card || null);
  });
}
