/* Promotions: the offers running or planned, ended or removed, and a new one made. */
import C, { $, api, el, say } from "../comptoir.js";
import { storeToday } from "../dates.js";
import { Problem, blame, clearBlame, notAnAmount, readOrSay, state, w } from "./shared.js";

/** "3 for 5.00 CAD", "Buy 2, get one free", "15% off". */
export function describeOffer(p, currency) {
  if (p.kind === "multi_price") return w("offer_n_for", { quantity: p.quantity, price: C.money(p.price, currency) });
  if (p.kind === "buy_n_get_one") return w("offer_buy_n", { quantity: p.quantity });
  return w("offer_percent_off", { percent: C.formatPercent(p.percent) });
}

/** The promotions still to list on `today`: one past its last day no longer applies. */
export const stillToCome = (promotions, today) => promotions.filter((p) => p.ends >= today);

/** The new promotion from the form's text (`typed`: name, kind, starts, ends, category,
 * percent, sku, quantity, price); a Problem names the field it is about. */
export function promotionBody(typed, currency) {
  const kind = typed.kind;
  const body = { name: typed.name.trim(), kind, starts: typed.starts, ends: typed.ends };
  if (!body.name) throw new Problem(w("give_the_promotion_a_name"), "pr-name");
  if (kind === "category_percent") {
    body.category = typed.category.trim();
    if (!body.category) throw new Problem(w("say_which_category"), "pr-category");
    const percent = C.parsePercent(typed.percent);
    if (percent === null) throw new Problem(w("percentage_is_a_number"), "pr-percent");
    body.percent = percent;
  } else {
    body.sku = typed.sku.trim();
    if (!body.sku) throw new Problem(w("give_the_sku"), "pr-sku");
    const quantity = typed.quantity.trim();
    if (!/^\d{1,6}$/.test(quantity)) throw new Problem(w("quantity_n_whole"), "pr-quantity");
    body.quantity = Number(quantity);
    if (kind === "multi_price") {
      const priceText = typed.price.trim();
      body.price = C.parseAmount(priceText, currency);
      if (body.price === null) throw new Problem(notAnAmount(w("the_price_for_n"), priceText, currency), "pr-price");
    }
  }
  if (!body.starts) throw new Problem(w("choose_the_first_day"), "pr-starts");
  if (!body.ends) throw new Problem(w("choose_the_last_day"), "pr-ends");
  return body;
}

export async function loadPromotions() {
  say($("promo-list-error"), "");
  try {
    const answer = await api("GET", "/promotions");
    const today = storeToday(state.timezone);
    // Still "active" but past their last day: they no longer apply, so not listed.
    const shown = stillToCome(answer.promotions, today);
    const body = $("promo-body");
    body.replaceChildren();
    for (const p of shown) {
      const running = p.starts <= today;
      const verb = running ? w("end_now") : w("remove");
      const button = el("button", { type: "button", class: "danger", "aria-label": `${verb}: ${p.name}` }, verb);
      button.addEventListener("click", () => endPromotion(p, running));
      body.append(el("tr", {},
        el("td", {}, p.name), el("td", {}, describeOffer(p, state.currency)),
        el("td", {}, p.kind === "category_percent" ? w("category_name", { category: p.category }) : p.sku || w("product_number", { id: p.product_id })),
        el("td", { class: "nowrap" }, p.starts), el("td", { class: "nowrap" }, p.ends),
        el("td", {}, running ? w("running") : w("planned")), el("td", {}, button)));
    }
    if (!shown.length) body.append(el("tr", {}, el("td", { colspan: "7" }, w("no_promotion"))));
    $("promo-caption").textContent = w("promotions_caption", { count: shown.length });
  } catch (err) {
    say($("promo-list-error"), err.message);
  }
}

async function endPromotion(p, running) {
  say($("promo-done"), "");
  say($("promo-list-error"), "");
  try {
    await api("DELETE", `/promotions/${encodeURIComponent(p.id)}`);
    say($("promo-done"), running
      ? w("promotion_ended", { name: p.name })
      : w("promotion_removed", { name: p.name }));
  } catch (err) {
    say($("promo-list-error"), err.message);
  }
  await loadPromotions();
  const next = $("promo-body").querySelector("button");
  (next || $("pr-name")).focus();
}

function showKindFields() {
  const kind = $("pr-kind").value;
  for (const box of $("promo-form").querySelectorAll("[data-kinds]")) {
    C.show(box, box.dataset.kinds.split(" ").includes(kind));
  }
  $("pr-quantity-hint").textContent = kind === "buy_n_get_one" ? w("hint_buy_n") : w("hint_n_for");
}

function promotionDays() {
  const today = storeToday(state.timezone);
  if (!$("pr-starts").value) $("pr-starts").value = today;
  if (!$("pr-ends").value) $("pr-ends").value = today;
}

export function wire() {
  $("pr-kind").addEventListener("change", showKindFields);

  $("promo-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    clearBlame(form);
    say($("promo-error"), "");
    say($("promo-done"), "");
    const typed = Object.fromEntries(["name", "kind", "starts", "ends", "category", "percent", "sku", "quantity", "price"]
      .map((name) => [name, $(`pr-${name}`).value]));
    const body = readOrSay(() => promotionBody(typed, state.currency), $("promo-error"));
    if (!body) return;
    const kind = body.kind;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const made = await api("POST", "/promotions", { json: body });
      form.reset(); // the kind and the days stay: the next offer is often of the same sort
      $("pr-kind").value = kind;
      $("pr-starts").value = body.starts;
      $("pr-ends").value = body.ends;
      showKindFields();
      say($("promo-done"), w("promotion_created", { name: made.name, offer: describeOffer(made, state.currency), starts: made.starts, ends: made.ends }));
      await loadPromotions();
      $("pr-name").focus();
    } catch (err) {
      say($("promo-error"), err.message);
      const field = { unknown_sku: "pr-sku", invalid_date: "pr-starts", unknown_category: "pr-category" }[err.code];
      if (field) blame($(field));
    } finally {
      button.disabled = false;
    }
  });
}

export function onReady() {
  promotionDays();
  showKindFields();
}

export const onLanguage = showKindFields;
