// node --test tests/js — the self-service screen (static/selfservice/): its words, the sale's
// lines and totals, the menu, the card typed, the idle countdown and how trouble is said.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { amountLocale, loadWords, speak, t, wordsFor } from "../../appliance/app/web/static/selfservice/words.js";
import { awaitingApproval, liveLines, state, totalsOf } from "../../appliance/app/web/static/selfservice/state.js";
import { describe, expired, money, trouble } from "../../appliance/app/web/static/selfservice/kiosk.js";
import { notFound } from "../../appliance/app/web/static/selfservice/sale.js";
import { menuGroups } from "../../appliance/app/web/static/selfservice/menu.js";
import { declineWords, findTerminal, outcome, refusal, stateWords } from "../../appliance/app/web/static/selfservice/card.js";
import { refused } from "../../appliance/app/web/static/selfservice/approval.js";
import { keyLabel, nextField } from "../../appliance/app/web/static/selfservice/keys.js";
import { countdown } from "../../appliance/app/web/static/selfservice/idle.js";

const catalogue = (code) =>
  JSON.parse(readFileSync(new URL(`../../appliance/app/words/${code}.json`, import.meta.url), "utf8"));

/** fetch as the till answers /words/{code}.json, from the repository's catalogues. */
const words = async (url) => ({ ok: true, json: async () => catalogue(/\/words\/(\w+)\.json/.exec(url)[1]) });

test("before its words arrive the screen can still say the till is away, never a raw brace", () => {
  assert.equal(t("offline"), "The till is not answering. Please wait.");
  assert.equal(t("error"), "Something went wrong. Please call an attendant.");
  assert.equal(t("nobody_has_it"), "nobody_has_it");
  assert.equal(wordsFor({ en: { added: "Added: {name}" } }, "en", "added", {}), "Added: ");
  assert.equal(wordsFor({ en: { added: "Added: {name}" }, fr: {} }, "fr", "added", { name: "Lait" }), "Added: Lait", "English when French lacks it");
});

test("the words of all three languages come at once; a customer's choice switches them", async () => {
  await loadWords(words);
  assert.equal(speak("fr"), "fr");
  assert.equal(t("added", { name: "Lait" }), "Ajouté : Lait");
  assert.equal(amountLocale(), "fr-CA");
  assert.equal(speak("de"), "en", "a language without words is English");
  assert.equal(t("added", { name: "Milk" }), "Added: Milk");
  assert.equal(amountLocale(), "en-CA");
});

test("words that cannot be fetched fail with the status the screen reads (0: the till is away)", async () => {
  await assert.rejects(loadWords(async () => { throw new TypeError("offline"); }), { status: 0 });
  await assert.rejects(loadWords(async () => ({ ok: false, status: 503 })), { status: 503 });
});

test("amounts in the language spoken, with the currency's own decimals", async () => {
  await loadWords(words);
  state.currency = "CAD";
  speak("en");
  assert.equal(money(123456), "1,234.56\u00a0CAD");
  speak("fr");
  assert.equal(money(123456), "1\u00a0234,56\u00a0CAD");
  state.currency = "JPY";
  assert.equal(money(1500).replace(/\s/g, " "), "1 500 JPY");
  state.currency = "CAD";
  speak("en");
});

test("the sale on screen: voided lines gone, totals zero without a sale, approval awaited", () => {
  const sale = {
    lines: [{ name: "Milk", voided: false }, { name: "Beer", voided: true, awaiting_approval: false }, { name: "Wine", awaiting_approval: true }],
    totals: { subtotal: 1000, tax: 150, due: 1150 },
  };
  assert.deepEqual(liveLines(sale).map((ln) => ln.name), ["Milk", "Wine"]);
  assert.deepEqual(liveLines(null), []);
  assert.deepEqual(totalsOf(null), { subtotal: 0, tax: 0, due: 0 });
  assert.equal(totalsOf(sale).due, 1150);
  assert.equal(awaitingApproval(sale), true);
  assert.equal(awaitingApproval({ lines: [{ awaiting_approval: false }] }), false);
  assert.equal(awaitingApproval(null), false);
});

test("the menu: products without a barcode by category, none sold by weight, groups in order", () => {
  const products = [
    { sku: "CROISSANT", barcodes: [], category: "Bakery", sold_by: "unit" },
    { sku: "APPLES", barcodes: [], category: "Produce", sold_by: "weight" },
    { sku: "BAG", barcodes: [], category: null, sold_by: "unit" },
    { sku: "MILK", barcodes: ["0622"], category: "Dairy", sold_by: "unit" },
    { sku: "BAGUETTE", barcodes: [], category: "Bakery", sold_by: "unit" },
  ];
  const groups = menuGroups(products, "More");
  assert.deepEqual(groups.map(([category, items]) => [category, items.map((p) => p.sku)]),
    [["Bakery", ["CROISSANT", "BAGUETTE"]], ["More", ["BAG"]]]);
  assert.deepEqual(menuGroups(products.filter((p) => p.barcodes.length), "More").map(([c]) => c), ["Dairy"],
    "when every product has a barcode the menu shows them all");
});

test("the terminal's live state and its outcome, in the words a customer reads", async () => {
  await loadWords(words);
  speak("en");
  assert.equal(t(stateWords("waiting_for_card")), "Waiting for your card.");
  assert.equal(t(stateWords("pin")), "Enter your PIN on the terminal.");
  assert.equal(stateWords("checking"), "terminal_checking");
  assert.equal(t(stateWords("in_progress")), "Your payment is in progress on the terminal: follow its screen.");
  assert.equal(stateWords("unknown"), "terminal_checking");
  assert.equal(stateWords("something_new"), "terminal_in_progress", "a state this screen does not know");
  assert.equal(declineWords("insufficient funds"), "terminal_declined_funds");
  assert.equal(declineWords("Wrong PIN"), "terminal_declined_pin");
  assert.equal(declineWords("expired card"), "terminal_declined_expired");
  assert.equal(declineWords("do not honour"), "terminal_declined");
  assert.equal(declineWords(null), "terminal_declined");
  assert.deepEqual(outcome({ status: "declined", decline_reason: "refused" }), { key: "terminal_declined", retry: true });
  assert.deepEqual(outcome({ status: "cancelled" }), { key: "terminal_cancelled", retry: true });
  assert.deepEqual(outcome({ status: "failed" }), { key: "terminal_failed", retry: true });
  assert.deepEqual(outcome({ status: "flagged" }), { key: "terminal_trouble", retry: false }, "staff's to settle");
  assert.deepEqual(refusal({ code: "card_declined", message: "the card was declined (insufficient funds)" }),
    { key: "terminal_declined_funds", retry: true });
  assert.deepEqual(refusal({ code: "payment_pending" }), { key: "terminal_trouble", retry: false });
  assert.deepEqual(refusal({ code: "attendant_approval_needed" }), { key: "approval_needed", retry: false });
  assert.deepEqual(refusal({ status: 0 }), { text: "The till is not answering. Please wait.", retry: true });
  assert.equal(nextField(["a", "b", "c"], "c"), "a");
  assert.equal(keyLabel("q", true), "Q");
});

test("a till has a terminal unless its status says none is configured", async () => {
  const answering = (err) => async () => { if (err) throw err; return { state: "idle" }; };
  assert.equal(await findTerminal(answering(null)), true);
  assert.equal(await findTerminal(answering({ status: 404, code: "terminal_not_configured" })), false);
  await assert.rejects(findTerminal(answering({ status: 0 })), (err) => err.status === 0, "the till away: ask again");
});

test("how trouble is said: an unknown item, a refused card or attendant, the till away", async () => {
  await loadWords(words);
  speak("en");
  for (const err of [{ code: "unknown_barcode" }, { code: "product_not_found" }, { status: 404 }, { status: 422 }]) {
    assert.equal(notFound(err), true, JSON.stringify(err));
  }
  assert.equal(notFound({ status: 409, code: "sale_closed" }), false);
  assert.equal(trouble({ status: 0 }), "offline");
  assert.equal(trouble({ status: 409, code: "not_self_service" }), "not_self_service");
  assert.equal(describe({ status: 500 }), "Something went wrong. Please call an attendant.");
  assert.deepEqual([401, 403, 423, 429, 500].map((status) => refused({ status })), [true, true, true, true, false]);
  assert.equal(expired({ status: 401 }), true);
  assert.equal(expired({ status: 403, code: "csrf_failed" }), true);
  assert.equal(expired({ status: 403, code: "forbidden" }), false);
});

test("the idle countdown: nothing while the customer is there, then the seconds left, then 0", () => {
  assert.equal(countdown(44.9, 45, 20), null);
  assert.equal(countdown(45, 45, 20), 20);
  assert.equal(countdown(50.5, 45, 20), 15);
  assert.equal(countdown(65, 45, 20), 0);
  assert.equal(countdown(90, 45, 20), 0, "never below zero");
});
