// node --test tests/js — the till's header line for its link to the office (static/till/officelink.js),
// in the three languages of the shop's words (appliance/app/words/*.json).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import C from "../../appliance/app/web/static/comptoir.js";
import { age, officeLine } from "../../appliance/app/web/static/till/officelink.js";

const catalogue = (code) =>
  JSON.parse(readFileSync(new URL(`../../appliance/app/words/${code}.json`, import.meta.url), "utf8"));

const H = 3600;
const link = (extra) => ({
  enrolled: true,
  in_touch: true,
  in_touch_within_seconds: 180,
  last_contact: "2026-12-06T17:00:00.000000Z",
  out_of_touch_seconds: null,
  backlog: 0,
  oldest_unsent_at: null,
  oldest_unsent_age_seconds: null,
  last_error: null,
  ...extra,
});
const away = link({ in_touch: false, out_of_touch_seconds: 2 * H + 35 * 60, backlog: 35, oldest_unsent_age_seconds: 3 * H + 5 });

async function speak(code) {
  for (const lang of ["en", "fr", "uk"]) C.setWords(lang, catalogue(lang));
  globalThis.fetch = async () => { throw new Error("no network in this test"); };
  assert.equal(await C.useLanguage(code), code);
}

test("a till not enrolled at an office says nothing of one", async () => {
  await speak("en");
  assert.equal(officeLine({ ...link(), enrolled: false }), null);
  assert.equal(officeLine(null), null);
});

test("in English: in touch, out of touch with what waits, never reached", async () => {
  await speak("en");
  assert.deepEqual(officeLine(link()), { mood: "ok", text: "Office: in touch" });
  assert.deepEqual(officeLine(away), { mood: "bad", text: "Office: out of touch for 2 h, 35 events waiting (oldest 3 h)" });
  const never = link({ in_touch: false, last_contact: null, backlog: 1, oldest_unsent_age_seconds: 50 * H });
  assert.deepEqual(officeLine(never), { mood: "bad", text: "Office: not reached yet, 1 event waiting (2 d)" });
});

test("in touch, a batch on its way is not news; events left waiting a while are", async () => {
  await speak("en");
  assert.equal(officeLine(link({ backlog: 4, oldest_unsent_age_seconds: 2 })).text, "Office: in touch");
  assert.deepEqual(officeLine(link({ backlog: 4, oldest_unsent_age_seconds: 12 * 60 })), {
    mood: "warn",
    text: "Office: in touch, 4 events waiting (oldest 12 min)",
  });
});

test("in French and in Ukrainian", async () => {
  await speak("fr");
  assert.equal(officeLine(link()).text, "Siège : en liaison");
  assert.equal(officeLine(away).text, "Siège : hors liaison depuis 2 h, 35 événements en attente (le plus ancien : 3 h)");
  await speak("uk");
  assert.equal(officeLine(link()).text, "Офіс: на зв’язку");
  assert.equal(officeLine(away).text, "Офіс: без зв’язку вже 2 год, очікують надсилання: 35 (найстаріша — 3 год)");
});

test("ages keep their unit whole, rounded down", async () => {
  await speak("en");
  assert.deepEqual([0, 59, 60, 3599, 3600, 47 * H + 3599, 48 * H].map((s) => age(s)), [
    "0 s", "59 s", "1 min", "59 min", "1 h", "47 h", "2 d",
  ]);
});
