/* The till: gift cards: sold or topped up on the sale; the new numbers at the end. */

import C, { $, api, el, say } from "../comptoir.js";
import { state } from "./state.js";
import { saveExtras } from "./customers.js";
import { amountError } from "./payment.js";
import { announce, fmt, newSale, setSale } from "./sale.js";
import { ensureSale } from "./scan.js";

export function openGiftSell() {
  if (state.busy || $("giftsell-button").disabled) return;
  if (state.done) newSale({ keepFocus: true });
  $("giftsell-new").checked = true;
  $("giftsell-code").value = "";
  $("giftsell-amount").value = "";
  giftSellKind();
  C.openDialog($("giftsell-dialog"), $("giftsell-amount"));
}

function giftSellKind() {
  const topUp = $("giftsell-topup").checked;
  C.show($("giftsell-code-box"), topUp);
  $("giftsell-title").textContent = topUp ? C.t("till.top_up_a_gift_card") : C.t("till.sell_a_gift_card");
}

/** The numbers of the cards this sale sold or topped up (lines voided since are left out). */
export function showCardsIssued(sale) {
  const live = new Set(sale.lines.filter((l) => !l.voided).map((l) => l.line));
  const cards = state.giftCards.filter((c) => live.has(c.line));
  const list = $("cards-issued-list");
  list.replaceChildren();
  for (const c of cards) {
    list.append(el("li", {}, (c.kind === "top_up" ? C.t("till.topped_up") : C.t("till.new_card")) + " ",
      el("strong", { class: "card-code" }, c.code), C.t("till.amount_loaded", { amount: C.moneyLocal(c.amount, state.currency) })));
  }
  C.show($("cards-issued"), cards.length > 0);
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  for (const radio of document.querySelectorAll("input[name=giftsell-kind]")) {
    radio.addEventListener("change", () => {
      giftSellKind();
      if ($("giftsell-topup").checked) $("giftsell-code").focus();
    });
  }

  $("giftsell-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const topUp = $("giftsell-topup").checked;
    const code = $("giftsell-code").value.trim();
    const text = $("giftsell-amount").value.trim();
    const amount = C.parseAmount(text, state.currency);
    if (topUp && !code) {
      say($("giftsell-error"), C.t("till.type_card_to_top_up"));
      $("giftsell-code").focus();
      return;
    }
    if (amount === null || amount <= 0) {
      say($("giftsell-error"), amount === 0 ? C.t("till.amount_more_than_zero") : amountError(text));
      $("giftsell-amount").focus();
      return;
    }
    state.busy = true;
    say($("giftsell-error"), "");
    try {
      const sale = await ensureSale();
      // The same card pressed again after a lost answer is the same request: the key makes sure
      // the sale gets one card, not two.
      const what = JSON.stringify([sale.id, amount, topUp ? code : null]);
      if (!state.giftSellKey || state.giftSellKey.what !== what) state.giftSellKey = { what, key: C.uuid() };
      const answer = await api("POST", `/sales/${sale.id}/gift-cards`, {
        json: topUp ? { amount, code } : { amount },
        headers: { "Idempotency-Key": state.giftSellKey.key },
      });
      state.giftSellKey = null;
      const card = answer.gift_card;
      delete answer.gift_card;
      setSale(answer, { select: card ? card.line : state.selected });
      if (card) {
        state.giftCards.push(card);
        saveExtras();
      }
      C.closeDialog($("giftsell-dialog"));
      announce(C.t(topUp ? "till.announce_top_up_added" : "till.announce_gift_card_added", { amount: fmt(amount), total: fmt(answer.totals.total) }));
    } catch (err) {
      say($("giftsell-error"), err.message);
    } finally {
      state.busy = false;
    }
  });
}
