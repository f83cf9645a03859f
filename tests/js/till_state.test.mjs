// node --test tests/js — the till's state (static/till/state.js): the sale on screen, the line
// picked, the tender's Idempotency-Key and the shortcut kept while the till is busy.
// Node 20.19+ reads the till's modules as ES modules by their `import`s (no package.json).
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";

import {
  clearSale, keepKey, saleDone, selectLine, state, stepSelection, takeSale, tenderKey, whenFree,
} from "../../appliance/app/web/static/till/state.js";

const sale = (id, lines, extra = {}) => ({ id, lines: lines.map((line) => ({ line })), ...extra });

beforeEach(() => {
  clearSale();
  state.busy = false;
  state.keyWhileBusy = null;
});

test("a sale taken up brings back what this tab kept of it, once; its own customer wins", () => {
  const kept = { 7: { customer: { id: 1, name: "Ana" }, cards: [{ code: "G1" }] } };
  const asked = [];
  const extrasOf = (id) => (asked.push(id), kept[id] || {});
  takeSale(sale(7, [1, 2]), { extrasOf });
  assert.deepEqual(state.customer, { id: 1, name: "Ana" });
  assert.deepEqual(state.giftCards, [{ code: "G1" }]);
  takeSale(sale(7, [1, 2, 3]), { extrasOf });
  assert.deepEqual(asked, [7], "the same sale again does not read the kept extras again");
  takeSale(sale(7, [1, 2, 3], { customer: null }), { extrasOf });
  assert.equal(state.customer, null, "the sale says it has no customer now");
  takeSale(sale(8, []), { extrasOf });
  assert.deepEqual([state.customer, state.giftCards, state.extrasFor], [null, [], 8]);
});

test("the picked line stays picked while the sale has it, and goes when it does not", () => {
  takeSale(sale(1, [1, 2, 3]), { select: 2 });
  assert.equal(state.selected, 2);
  takeSale(sale(1, [1, 2, 3, 4]));
  assert.equal(state.selected, 2, "an answer that does not say which line keeps the pick");
  takeSale(sale(1, [1, 3]));
  assert.equal(state.selected, null);
  takeSale(sale(1, [1, 3]), { select: null });
  assert.equal(state.selected, null);
});

test("the arrows walk the lines and stop at both ends; with no line they do nothing", () => {
  assert.equal(stepSelection(1), false);
  takeSale(sale(1, [1, 2, 3]));
  assert.equal(stepSelection(1), true);
  assert.equal(state.selected, 1, "down with nothing picked: the first line");
  stepSelection(1);
  stepSelection(1);
  stepSelection(1);
  assert.equal(state.selected, 3, "down past the last stays on it");
  stepSelection(-5);
  assert.equal(state.selected, 1);
  selectLine(null);
  stepSelection(-1);
  assert.equal(state.selected, 3, "up with nothing picked: the last line");
});

test("a paid sale keeps its receipt on screen with no line picked; a new one starts empty", () => {
  takeSale(sale(4, [1]), { select: 1 });
  state.tender = { amount: 100, sale: 4, method: "cash", key: "k" };
  saleDone();
  assert.deepEqual([state.done, state.selected, state.sale.id], [true, null, 4]);
  clearSale();
  assert.deepEqual(
    [state.sale, state.selected, state.done, state.tender, state.customer, state.giftCards, state.extrasFor],
    [null, null, false, null, null, [], null],
  );
});

test("a tender retried after no answer reuses its key; anything else about it is a new payment", () => {
  takeSale(sale(5, [1]));
  let n = 0;
  const key = (method, amount, extra) => tenderKey(method, amount, extra, () => `key-${++n}`);
  const cash = key("cash", 1000);
  assert.equal(key("cash", 1000), cash, "the same tender again");
  const more = key("cash", 2000);
  assert.notEqual(more, cash, "another amount");
  const card = key("card", 2000);
  assert.notEqual(card, more, "another method");
  const gift = key("gift_card", 2000, "G1");
  assert.notEqual(key("gift_card", 2000, "G2"), gift, "another gift card");
  const before = key("gift_card", 2000, "G2");
  takeSale(sale(6, [1]));
  assert.notEqual(key("gift_card", 2000, "G2"), before, "another sale");
  assert.equal(n, 6, "a new key each time but the two retries");
});

test("a shortcut pressed while busy is played once the till is free, the last one only", async () => {
  const played = [];
  whenFree((event) => played.push(event));
  state.busy = true;
  keepKey({ key: "F10", altKey: false, target: "not kept" });
  keepKey({ key: "F9", altKey: false, target: "not kept" });
  state.busy = true;
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(played, [], "still busy: nothing played");
  state.busy = false;
  assert.equal(state.keyWhileBusy, null);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(played, [{ key: "F9", altKey: false, ctrlKey: false, metaKey: false }]);
  state.busy = false;
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(played.length, 1, "played once");
});
