// node --test tests/js — the keyboard-wedge detector, with keystroke timings as a scanner
// and as people produce them.
import assert from "node:assert/strict";
import { test } from "node:test";

import { readFile } from "node:fs/promises";

// scanner.js is an ES module for the browser, with no package.json to say so: Node 20.19+ sees its
// `export`s, but Debian 12's Node 18 would read it as CommonJS. A data: URL is a module in both.
const source = await readFile(new URL("../../appliance/app/web/static/scanner.js", import.meta.url), "utf8");
const { createWedgeDetector, isScannerBurst } = await import(
  `data:text/javascript;base64,${Buffer.from(source).toString("base64")}`
);

function typed(text, { start = 1000, gap = 5, enter = true } = {}) {
  const keys = [...text];
  if (enter) keys.push("Enter");
  return keys.map((key, i) => ({ key, time: start + i * gap }));
}

test("a scanner's burst ending in Enter is a scan", () => {
  assert.equal(isScannerBurst(typed("4006381333931")), true);
  assert.equal(isScannerBurst(typed("96385074", { gap: 30 })), true);
});

test("a person typing is not a scan, however long the number", () => {
  assert.equal(isScannerBurst(typed("4006381333931", { gap: 120 })), false);
  assert.equal(isScannerBurst(typed("4006381333931", { gap: 35 })), false, "35 ms is a person's pace");
});

test("too short, no Enter, or one slow key in the middle: not a scan", () => {
  assert.equal(isScannerBurst(typed("12345")), false);
  assert.equal(isScannerBurst(typed("4006381333931", { enter: false })), false);
  const burst = typed("4006381333931");
  burst.slice(7).forEach((e) => { e.time += 200; });
  assert.equal(isScannerBurst(burst), false);
});

test("the detector holds a burst and hands it back as one scan", () => {
  const detector = createWedgeDetector();
  const answers = typed("036000291452").map((e) => detector.feed(e));
  assert.deepEqual(answers.slice(0, -1).map((a) => a.action), Array(12).fill("hold"));
  assert.deepEqual(answers.at(-1), { action: "scan", code: "036000291452" });
  assert.equal(detector.pending, 0);
});

test("a person's keys come back to be typed, none lost", () => {
  const detector = createWedgeDetector();
  const out = [];
  for (const event of typed("12", { gap: 150, enter: false })) {
    const answer = detector.feed(event);
    if (answer.action === "type") out.push(...answer.keys);
    out.push(...detector.expire(event.time + 40));
  }
  assert.deepEqual(out, ["1", "2"]);
  // Without the timer, the next slow key releases what was held, and holds itself.
  const again = createWedgeDetector();
  assert.deepEqual(again.feed({ key: "7", time: 0 }), { action: "hold" });
  assert.deepEqual(again.feed({ key: "8", time: 200 }), { action: "type", keys: ["7"], pass: false });
  assert.deepEqual(again.feed({ key: "Enter", time: 400 }), { action: "type", keys: ["8"], pass: true });
});

test("a short burst ending in Enter is typing, and Enter goes through", () => {
  const detector = createWedgeDetector();
  const answers = typed("42").map((e) => detector.feed(e));
  assert.deepEqual(answers.at(-1), { action: "type", keys: ["4", "2"], pass: true });
  assert.deepEqual(detector.feed({ key: "Enter", time: 5000 }), { action: "pass" });
});

test("modifier keys pass and do not break a burst", () => {
  const detector = createWedgeDetector();
  const events = typed("ABC-1234");
  events.splice(0, 0, { key: "Shift", time: 999 });
  const answers = events.map((e) => detector.feed(e));
  assert.equal(answers[0].action, "pass");
  assert.deepEqual(answers.at(-1), { action: "scan", code: "ABC-1234" });
});

test("the timer does not break a burst that is still coming", () => {
  const detector = createWedgeDetector();
  detector.feed({ key: "1", time: 0 });
  assert.deepEqual(detector.expire(20), []);
  assert.equal(detector.pending, 1);
});

test("options: a shorter minimum and Tab as the suffix", () => {
  const detector = createWedgeDetector({ minLength: 4, endKeys: ["Tab"] });
  const answers = [...typed("1234", { enter: false }), { key: "Tab", time: 1020 }].map((e) => detector.feed(e));
  assert.deepEqual(answers.at(-1), { action: "scan", code: "1234" });
});
