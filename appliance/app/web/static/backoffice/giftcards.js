/* Gift cards: a balance looked up, the list by status, a card voided (with a reason). */
import C, { $, api, el, say } from "../comptoir.js";
import { frame, rowButton, w, when } from "./shared.js";

const CARD_STATES = { pending: "card_pending", active: "active", void: "void" };
const cardWord = (status) => (CARD_STATES[status] ? w(CARD_STATES[status]) : status);
let voiding = null; // {card, back: what had the focus}

/** "GC-1234: 25.00 CAD (active). Expires on 2027-03-01." as the balance asked for says it. */
export function balanceText(card) {
  const expiry = card.expires_at ? " " + w("expires_on", { day: card.expires_at.slice(0, 10) }) : "";
  const status = card.expired ? w("card_expired") : CARD_STATES[card.status] ? w(CARD_STATES[card.status]).toLowerCase() : card.status;
  return `${card.code}: ${C.money(card.balance, card.currency)} (${status}).${expiry}`;
}

/** A card's state in the list: an active card past its expiry says so. */
export const listedState = (card) => (card.expired && card.status === "active" ? w("card_expired_title") : cardWord(card.status));

async function loadCards() {
  say($("cards-error"), "");
  const status = $("cards-status").value;
  try {
    const found = await api("GET", "/gift-cards?" + new URLSearchParams(status ? { status } : {}));
    const body = $("cards-body");
    body.replaceChildren();
    for (const card of found.gift_cards) {
      body.append(el("tr", {}, el("td", { class: "mono" }, card.code), el("td", {}, listedState(card)),
        el("td", { class: "num" }, C.formatAmount(card.balance, card.currency)), el("td", { class: "nowrap" }, when(card.activated_at)),
        el("td", { class: "nowrap" }, when(card.expires_at)),
        el("td", {}, card.status === "void" ? "" : rowButton(w("void_verb"), w("card_code", { code: card.code }), () => askVoid(card), "danger"))));
    }
    if (!found.gift_cards.length) body.append(el("tr", {}, el("td", { colspan: "6" }, w("no_gift_card"))));
    $("cards-caption").textContent = status ? w("cards_of_status", { status: cardWord(status) }) : w("cards_all");
  } catch (err) {
    say($("cards-error"), err.message);
  }
}

function askVoid(card) {
  voiding = { card, back: document.activeElement };
  $("void-card").textContent = w("card_balance", { code: card.code, balance: C.money(card.balance, card.currency) });
  $("void-reason").value = "";
  say($("void-error"), "");
  C.openDialog($("void-dialog"), $("void-reason"));
}

export function wire() {
  $("balance-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    say($("gc-error"), "");
    say($("gc-result"), "");
    try {
      const card = await api("POST", "/gift-cards/balance", { json: { code: $("gc-code").value } });
      say($("gc-result"), balanceText(card));
    } catch (err) {
      say($("gc-error"), err.message);
    }
  });

  $("void-dialog").addEventListener("close", () => {
    const back = voiding && voiding.back;
    voiding = null;
    if (back && back.isConnected) back.focus();
    else $("cards-title").focus();
  });
  $("void-keep").addEventListener("click", () => C.closeDialog($("void-dialog")));
  $("void-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!voiding) return;
    say($("void-error"), "");
    const card = voiding.card;
    try {
      await api("POST", `/gift-cards/${card.id}/void`, { json: { reason: $("void-reason").value.trim() } });
      voiding.back = $("cards-title"); // its row and button are about to go
      C.closeDialog($("void-dialog"));
      say($("cards-done"), w("card_voided", { code: card.code, balance: C.money(card.balance, card.currency) }));
      await loadCards();
    } catch (err) {
      say($("void-error"), err.message);
    }
  });
  $("cards-filter").addEventListener("submit", (e) => { e.preventDefault(); say($("cards-done"), ""); loadCards(); });
}

export const loaders = { giftcards: () => { if (frame.can("manage_gift_cards")) loadCards(); } };
