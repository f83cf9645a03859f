/* The time clock: in, a break, back, out. */
import { $, api, say } from "../comptoir.js";
import { w } from "./shared.js";

const CLOCK_WORDS = { off: "clocked_out", working: "working", on_break: "on_a_break" };
const ALLOWED = { off: ["clock_in"], working: ["break_start", "clock_out"], on_break: ["break_end", "clock_out"] };
let clockShown = null; // the status on screen, to say again in another language

/** Which of the clock's buttons a person in `status` may press. */
export const clockActions = (status) => ALLOWED[status];

/** "Working since 14:05 UTC" in the person's language. */
export function clockText(status) {
  const since = status.since ? " " + w("since_utc", { time: status.since.slice(11, 16) }) : "";
  return w(CLOCK_WORDS[status.state]) + since;
}

function showClock(status) {
  clockShown = status;
  $("clock-state").textContent = clockText(status);
  for (const b of document.querySelectorAll("[data-clock]")) b.disabled = !clockActions(status.state).includes(b.dataset.clock);
}

async function loadClock() {
  try {
    showClock(await api("GET", "/time-clock"));
  } catch (err) {
    say($("clock-error"), err.message);
  }
}

export function wire() {
  for (const button of document.querySelectorAll("[data-clock]")) {
    button.addEventListener("click", async () => {
      say($("clock-error"), "");
      try {
        showClock(await api("POST", "/time-clock", { json: { action: button.dataset.clock } }));
      } catch (err) {
        say($("clock-error"), err.message);
      }
    });
  }
}

export const loaders = { clock: loadClock };

export const redraw = { clock: () => { if (clockShown) showClock(clockShown); } };
