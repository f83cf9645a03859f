// node --test tests/js — the till's shortcut table (static/till/shortcuts.js): which key does
// what, and when a key is swallowed without doing it (a dialog open, the receipt on screen).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

import { ALT_ACTS, FKEY_ACTS, isShortcut, shortcut } from "../../appliance/app/web/static/till/shortcuts.js";

const key = (name, mods = {}) => ({ key: name, altKey: false, ctrlKey: false, metaKey: false, ...mods });
const alt = (letter) => key(letter, { altKey: true });
const selling = { dialog: null, done: false };
const receipt = { dialog: null, done: true };

test("the F-keys pay, change lines, cancel and park while selling; F9 starts the next sale after", () => {
  assert.deepEqual(shortcut(key("F2"), selling), { act: "pay" });
  assert.deepEqual(shortcut(key("F6"), selling), { act: "card" });
  assert.deepEqual(shortcut(key("F10"), selling), { act: "park" });
  assert.deepEqual(shortcut(key("F9"), selling), { act: null }, "no next sale before this one is paid");
  assert.deepEqual(shortcut(key("F9"), receipt), { act: "next" });
  assert.deepEqual(shortcut(key("F2"), receipt), { act: null }, "nothing to pay on the receipt screen");
});

test("no shortcut acts over an open dialog but the return dialog's own No receipt", () => {
  for (const dialog of ["other", "refund"]) {
    assert.deepEqual(shortcut(key("F2"), { dialog, done: false }), { act: null });
    assert.deepEqual(shortcut(alt("l"), { dialog, done: false }), { act: null });
  }
  assert.deepEqual(shortcut(alt("w"), { dialog: "refund", done: false }), { act: "noreceipt" });
  assert.deepEqual(shortcut(alt("w"), { dialog: "other", done: false }), { act: null });
});

test("Alt and a letter, either case; the tenders not on the receipt screen", () => {
  assert.deepEqual(shortcut(alt("L"), selling), { act: "parked" });
  assert.deepEqual(shortcut(alt("e"), receipt), { act: "items" });
  assert.deepEqual(shortcut(alt("g"), selling), { act: "gift" });
  assert.deepEqual(shortcut(alt("g"), receipt), { act: null });
  assert.deepEqual(shortcut(alt("o"), receipt), { act: null });
});

test("other keys are no shortcut: they go on to the scan field and the lines", () => {
  assert.equal(shortcut(key("a"), selling), null);
  assert.equal(shortcut(key("F5"), selling), null, "the browser's own reload");
  assert.equal(shortcut(key("Enter"), selling), null);
  assert.equal(shortcut(alt("x"), selling), null, "a letter with no act");
  assert.equal(shortcut(key("l", { altKey: true, ctrlKey: true }), selling), null, "AltGr is Ctrl+Alt");
  assert.equal(shortcut(key("constructor", { altKey: true }), selling), null);
});

test("keys kept while busy: the till's F-keys and Alt with a letter, nothing else", () => {
  for (const name of Object.keys(FKEY_ACTS)) assert.equal(isShortcut(key(name)), true, name);
  assert.equal(isShortcut(alt("x")), true, "any Alt+letter is kept: it may be one");
  assert.equal(isShortcut(key("F5")), false);
  assert.equal(isShortcut(key("7")), false, "a scanner's digits are not held back");
  assert.equal(isShortcut(key("toString")), false);
});

test("every shortcut of the table is written on the till's page for the cashier to read", async () => {
  const page = await readFile(new URL("../../appliance/app/web/templates/cashier.html", import.meta.url), "utf8");
  const written = new Set([...page.matchAll(/<kbd>([^<]+)<\/kbd>|aria-keyshortcuts="([^"]+)"/g)].map((m) => m[1] || m[2]));
  for (const name of Object.keys(FKEY_ACTS)) assert.ok(written.has(name), name);
  for (const letter of Object.keys(ALT_ACTS)) {
    assert.ok(written.has(`Alt+${letter.toUpperCase()}`), `Alt+${letter.toUpperCase()}`);
  }
});
