// node --test tests/js — the screens' words (common.js t, setWords, localeFor): one catalogue
// per language, English when a language lacks a key, the key itself when nobody has it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import C from "../../appliance/app/web/static/comptoir.js";

const catalogue = (code) =>
  JSON.parse(readFileSync(new URL(`../../appliance/app/words/${code}.json`, import.meta.url), "utf8"));

test("t() reads the chosen language, falls back to English, then to the key", async () => {
  C.setWords("en", { till: { pay_cash: "Pay cash", only_english: "Only in English" } });
  C.setWords("fr", { till: { pay_cash: "Comptant" } });
  globalThis.fetch = async () => { throw new Error("no network in this test"); };
  assert.equal(await C.useLanguage("fr", "fr-CA"), "fr");
  assert.equal(C.t("till.pay_cash"), "Comptant");
  assert.equal(C.t("till.only_english"), "Only in English", "a key French lacks is said in English");
  assert.equal(C.t("till.nobody_has_it"), "till.nobody_has_it", "a key nobody has shows as itself");
  assert.equal(await C.useLanguage("en"), "en");
  assert.equal(C.t("till.pay_cash"), "Pay cash");
});

test("placeholders are filled by name; one not given stays visible; nothing else is read", async () => {
  C.setWords("en", { till: { change: "Change {amount} in {currency}", odd: "{0.constructor} {toString}" } });
  await C.useLanguage("en", "en-CA");
  assert.equal(C.t("till.change", { amount: "13.50", currency: "CAD" }), "Change 13.50 in CAD");
  assert.equal(C.t("till.change", { amount: "13.50" }), "Change 13.50 in {currency}");
  assert.equal(C.t("till.change", { amount: 0, currency: "" }), "Change 0 in ");
  assert.equal(C.t("till.odd", {}), "{0.constructor} {toString}", "only own values fill a placeholder");
});

test("what common.js says itself is there before any catalogue, as en.json says it", () => {
  C.setWords("en", {}); // a till that cannot reach the service, or a page not translated yet
  const en = catalogue("en");
  for (const screen of ["session", "amount"]) {
    for (const [key, text] of Object.entries(en[screen])) assert.equal(C.t(`${screen}.${key}`), text, key);
  }
  assert.equal(C.t("session.request_failed", { status: 502 }), "The request failed (HTTP 502).");
  assert.equal(C.readAmount("-4", "CAD", "en-CA").error, "“-4” is negative: type the amount without a sign.");
});

test("amounts refused in the till's language", async () => {
  for (const code of ["en", "fr", "uk"]) C.setWords(code, catalogue(code));
  await C.useLanguage("fr", "fr-CA");
  assert.match(C.readAmount("1,234", "CAD").error, /^« 1,234 » est ambigu ici : tapez 1\s234,00 si/);
  await C.useLanguage("uk", "fr-CA");
  assert.equal(C.readAmount("", "CAD").error, "Введіть суму.");
  await C.useLanguage("en", "en-CA");
});

test("which language: the person's own, else the store locale's; amounts in the language with the store's region", async () => {
  globalThis.fetch = async () => { throw new Error("no network in this test"); };
  for (const code of ["en", "fr", "uk"]) C.setWords(code, catalogue(code));
  assert.equal(await C.useLanguage(null, "fr-CA"), "fr", "no choice of one's own: the store's");
  assert.equal(C.locale(), "fr-CA");
  assert.equal(C.formatLocal(1350, "CAD"), "13,50");
  assert.equal(C.t("till.rounding", { amount: C.formatLocal(-1, "CAD") }), "Arrondi -0,01");
  assert.equal(await C.useLanguage("en"), "en", "the person's choice wins");
  assert.equal(C.locale(), "en-CA", "English in a Quebec store writes amounts the en-CA way");
  assert.equal(C.formatLocal(123456, "CAD"), "1,234.56");
  assert.equal(await C.useLanguage("uk"), "uk");
  assert.equal(C.locale(), "uk-CA");
  assert.equal(C.t("till.pay_cash"), "Готівка");
  assert.equal(await C.useLanguage("de", "uk-UA"), "uk", "a language without words: the store's");
  assert.equal(C.locale(), "uk-UA");
  assert.equal(await C.useLanguage(null, "de-DE"), "en", "a store in a language we lack speaks English");
  assert.equal(C.languageOf("fr_CA"), "fr");
  await C.useLanguage("en", "en-CA");
});

test("every till key the English catalogue has, French and Ukrainian have, with the same placeholders", () => {
  const en = catalogue("en");
  for (const code of ["fr", "uk"]) {
    const other = catalogue(code);
    for (const screen of ["till", "session", "amount"]) {
      for (const [key, text] of Object.entries(en[screen])) {
        assert.ok(other[screen][key], `${code}: ${screen}.${key}`);
        const names = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
        assert.deepEqual(names(other[screen][key]), names(text), `${code}: ${screen}.${key}`);
      }
    }
  }
});
