// node --test tests/js — amounts typed the shop's way (common.js readAmount, formatLocal):
// a Montréal bakery types 4,50 and 4.50 for the same price, and never gets 450.00 for it.
import assert from "node:assert/strict";
import { test } from "node:test";

import C from "../../appliance/app/web/static/comptoir.js";

const NNBSP = "\u202f"; // narrow no-break space: how fr-CA groups thousands in print
const NBSP = "\u00a0";

const read = (text, locale = "fr-CA", currency = "CAD") => C.readAmount(text, currency, locale);

test("a comma and a dot are both decimal marks where they can only be one", () => {
  for (const locale of ["fr-CA", "en-CA", "en-US", "de-DE"]) {
    assert.deepEqual(read("4,50", locale), { minor: 450 }, locale);
    assert.deepEqual(read("4.50", locale), { minor: 450 }, locale);
    assert.deepEqual(read("20,00", locale), { minor: 2000 }, `${locale}: 20,00 is twenty, not two thousand`);
    assert.deepEqual(read("4,5", locale), { minor: 450 }, locale);
    assert.deepEqual(read(",50", locale), { minor: 50 }, locale);
    assert.deepEqual(read("4,", locale), { minor: 400 }, locale);
    assert.deepEqual(read("12", locale), { minor: 1200 }, locale);
  }
});

test("thousands grouped with spaces of every kind, or with the mark that is not the decimal one", () => {
  assert.deepEqual(read("1 234,50"), { minor: 123450 });
  assert.deepEqual(read(`1${NNBSP}234,50`), { minor: 123450 });
  assert.deepEqual(read(`1${NBSP}234,50`), { minor: 123450 });
  assert.deepEqual(read("1,234.50"), { minor: 123450 });
  assert.deepEqual(read("1.234,50"), { minor: 123450 });
  assert.deepEqual(read("1.234.567"), { minor: 123456700 }, "one mark twice is grouping");
  assert.deepEqual(read("1,234,567.89", "en-CA"), { minor: 123456789 });
  assert.deepEqual(read("1'234.50", "de-CH"), { minor: 123450 });
  assert.deepEqual(read("1 234"), { minor: 123400 });
});

test("a single mark before three digits is read only where the locale says which it is", () => {
  assert.deepEqual(read("1,234", "en-CA"), { minor: 123400 }, "en-CA groups with a comma");
  assert.deepEqual(read("1.234", "de-DE"), { minor: 123400 }, "de-DE groups with a dot");
  for (const [text, locale] of [["1,234", "fr-CA"], ["1.234", "fr-CA"], ["1.234", "en-CA"], ["1,234", "de-DE"]]) {
    const answer = read(text, locale);
    assert.ok(answer.error, `${text} in ${locale} is ambiguous`);
    assert.match(answer.error, /ambiguous/);
  }
  assert.match(read("1,234", "fr-CA").error, /1\s234,00/, "the message says how to write the thousand");
  assert.deepEqual(read("1,234", "fr-TN", "TND"), { minor: 1234 }, "a three-decimal currency's decimals");
  assert.deepEqual(read("1.234", "ar-BH", "BHD"), { minor: 1234 }, "Latin digits in any locale");
});

test("what is not an amount is refused with a reason, never read as another amount", () => {
  const refused = {
    "": /Type an amount/,
    "   ": /Type an amount/,
    abc: /not an amount/,
    "-3": /negative/,
    "−3,00": /negative/,
    "4,505": /ambiguous/,
    "4,5055": /more decimals/,
    "4.50.1": /thousands are groups of three|two decimal/,
    "1,23,4": /thousands are groups of three/,
    "12 34": /thousands are groups of three/,
    "1.234,5,6": /two decimal/,
    "4e3": /not an amount/,
    "99999999999999": /too large/,
  };
  for (const [text, why] of Object.entries(refused)) {
    const answer = read(text);
    assert.equal(answer.minor, undefined, `${JSON.stringify(text)} read as ${answer.minor}`);
    assert.match(answer.error, why, JSON.stringify(text));
  }
  assert.equal(C.parseAmount("4,5055", "CAD", "fr-CA"), null);
  assert.equal(C.parseAmount("4,50", "CAD", "fr-CA"), 450);
});

test("the currency's sign or code around the amount is ignored", () => {
  assert.deepEqual(read("4,50 $"), { minor: 450 });
  assert.deepEqual(read("$4.50", "en-CA"), { minor: 450 });
  assert.deepEqual(read("4,50 CAD"), { minor: 450 });
});

test("decimals follow the currency: none for yen, three for dinars", () => {
  assert.deepEqual(read("1 500", "ja-JP", "JPY"), { minor: 1500 });
  assert.match(read("15,5", "ja-JP", "JPY").error, /more decimals than JPY allows \(0\)/);
  assert.deepEqual(read("1,5", "fr-FR", "TND"), { minor: 1500 });
});

test("the store's locale is the default, and an unknown one falls back to English", () => {
  assert.equal(C.setLocale("fr-CA"), "fr-CA");
  assert.deepEqual(C.readAmount("1 234,50", "CAD"), { minor: 123450 });
  assert.equal(C.formatLocal(1350, "CAD"), "13,50");
  assert.equal(C.setLocale("xx-invalid-!"), "en");
  assert.equal(C.formatLocal(1350, "CAD"), "13.50");
});

test("amounts are written with Intl in the locale, from the exact integer", () => {
  assert.equal(C.formatLocal(1234567, "CAD", "fr-CA").replace(/\s/g, " "), "12 345,67");
  assert.equal(C.formatLocal(1234567, "CAD", "en-CA"), "12,345.67");
  assert.equal(C.formatLocal(-1, "CAD", "fr-CA"), "-0,01");
  assert.equal(C.formatLocal(999999999999, "CAD", "en-CA"), "9,999,999,999.99");
  assert.equal(C.moneyLocal(350, "CAD", "fr-CA"), "3,50 CAD");
});

test("what formatLocal writes, readAmount reads back", () => {
  for (const locale of ["fr-CA", "en-CA", "en-US", "de-DE", "fr-CH", "de-CH"]) {
    for (const minor of [0, 1, 5, 99, 100, 450, 123450, 100000, 123456789, 10 ** 12]) {
      assert.deepEqual(read(C.formatLocal(minor, "CAD", locale), locale), { minor }, `${minor} in ${locale}`);
    }
  }
});
