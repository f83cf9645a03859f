/* Customers: found (or all, for who manages them), their purchases, their details and points
 * changed, erased at their request, a new one enrolled. */
import C, { $, api, el, say } from "../comptoir.js";
import { fmt, frame, parseWhole, rowButton, signed, state, w, when } from "./shared.js";

let customer = null; // the one open for changes

/** What of the details form (`wanted`) differs from the customer as they are. */
export function customerChanges(c, wanted) {
  const changes = {};
  for (const [key, value] of Object.entries(wanted)) if (value !== c[key]) changes[key] = value;
  return changes;
}

/** The details form as the API takes it: empty email and phone are none; the loyalty card's
 * number in capitals, sent only when this person may change it (`card` is null otherwise). */
export function customerDetails(typed, card) {
  const wanted = {
    name: typed.name.trim(), email: typed.email.trim() || null,
    phone: typed.phone.trim() || null, consent: typed.consent,
  };
  if (card !== null) wanted.loyalty_card = card.trim().toUpperCase() || null;
  return wanted;
}

async function findCustomers(q) {
  say($("customer-error"), "");
  try {
    const found = await api("GET", "/customers?" + new URLSearchParams({ q }));
    const body = $("customer-body");
    body.replaceChildren();
    for (const c of found.customers) {
      const actions = el("td", { class: "nowrap" }, rowButton(w("purchases"), w("of_name", { name: c.name }), () => history(c)));
      if (frame.can("manage_customers")) {
        actions.append(rowButton(w("edit"), c.name, () => editCustomer(c)),
          rowButton(w("erase"), c.name, () => erase(c), "danger"));
      }
      body.append(el("tr", {}, el("td", {}, c.name), el("td", {}, c.email || ""), el("td", {}, c.phone || ""),
        el("td", { class: "num" }, String(c.points)), el("td", { class: "num" }, fmt(c.points_value)), actions));
    }
    if (!found.customers.length) body.append(el("tr", {}, el("td", { colspan: "6" }, w("no_customer_found"))));
  } catch (err) {
    say($("customer-error"), err.message);
  }
}

async function history(c) {
  try {
    const found = await api("GET", `/customers/${c.id}/purchases`);
    $("history-title").textContent = w("purchases_of", { name: c.name });
    const body = $("history-body");
    body.replaceChildren();
    for (const p of found.purchases) {
      body.append(el("tr", {}, el("td", {}, p.receipt_number), el("td", {}, when(p.completed_at)),
        el("td", { class: "num" }, fmt(p.total)), el("td", { class: "num" }, String(p.points_earned))));
    }
    if (!found.purchases.length) body.append(el("tr", {}, el("td", { colspan: "4" }, w("no_purchase_yet"))));
    C.show($("history"), true);
  } catch (err) {
    say($("customer-error"), err.message);
  }
}

async function erase(c) {
  if (!window.confirm(w("erase_confirm", { name: c.name }))) return;
  try {
    await api("POST", `/customers/${c.id}/erase`, { json: { reason: "customer's request" } });
    if (customer && customer.id === c.id) C.show($("customer-edit"), false);
    findCustomers($("customer-q").value.trim());
  } catch (err) {
    say($("customer-error"), err.message);
  }
}

function showCustomer(c) {
  customer = c;
  $("customer-edit-title").textContent = c.name;
  $("customer-edit-points").textContent = w("points_worth", { points: c.points, value: `${fmt(c.points_value)} ${state.currency}` });
}

function editCustomer(c) {
  showCustomer(c);
  $("ce-name").value = c.name;
  $("ce-email").value = c.email || "";
  $("ce-phone").value = c.phone || "";
  // Whoever may not manage customers sees a card's last four only, and cannot change it.
  $("ce-card").value = c.loyalty_card || "";
  $("ce-card").disabled = (c.loyalty_card || "").startsWith("•");
  $("ce-consent").checked = c.consent;
  $("points-form").reset();
  say($("customer-edit-error"), "");
  say($("customer-edit-done"), "");
  C.show($("customer-edit"), true);
  $("customer-edit-title").focus();
}

export function wire() {
  $("customer-edit-close").addEventListener("click", () => {
    C.show($("customer-edit"), false);
    $("customer-q").focus();
  });

  $("details-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("customer-edit-error"), "");
    say($("customer-edit-done"), "");
    const typed = { name: $("ce-name").value, email: $("ce-email").value, phone: $("ce-phone").value, consent: $("ce-consent").checked };
    const changes = customerChanges(customer, customerDetails(typed, $("ce-card").disabled ? null : $("ce-card").value));
    if (!Object.keys(changes).length) return say($("customer-edit-done"), w("nothing_changed"));
    try {
      showCustomer(await api("PATCH", `/customers/${customer.id}`, { json: changes }));
      say($("customer-edit-done"), w("details_saved"));
      findCustomers($("customer-q").value.trim());
    } catch (err) {
      say($("customer-edit-error"), err.message);
    }
  });

  $("points-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("customer-edit-error"), "");
    say($("customer-edit-done"), "");
    const points = parseWhole($("p-points").value, true);
    if (!points) {
      say($("customer-edit-error"), w("points_adjustment_whole"));
      $("p-points").focus();
      return;
    }
    try {
      const after = await api("POST", `/customers/${customer.id}/points`, {
        json: { points, reason: $("p-reason").value.trim() },
      });
      showCustomer(after);
      $("points-form").reset();
      say($("customer-edit-done"), w("points_adjusted", { change: signed(points), points: after.points, value: `${fmt(after.points_value)} ${state.currency}` }));
      findCustomers($("customer-q").value.trim());
    } catch (err) {
      say($("customer-edit-error"), err.message);
    }
  });

  $("customer-search").addEventListener("submit", (e) => { e.preventDefault(); findCustomers($("customer-q").value.trim()); });
  $("enrol-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("customer-error"), "");
    try {
      const made = await api("POST", "/customers", {
        json: {
          name: $("c-name").value.trim(), email: $("c-email").value.trim() || null,
          phone: $("c-phone").value.trim() || null, consent: $("c-consent").checked,
          loyalty_card: $("c-card").value.trim() || null,
        },
      });
      $("enrol-form").reset();
      $("customer-q").value = made.name;
      findCustomers(made.name);
    } catch (err) {
      say($("customer-error"), err.message);
    }
  });
}

export const loaders = {
  // Only who manages customers lists them all; others search (three characters at least).
  customers: () => (frame.can("manage_customers") ? findCustomers("") : say($("customer-error"), "")),
};
