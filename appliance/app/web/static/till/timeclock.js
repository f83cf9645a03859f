/* The till: the time clock (in, break, out). */

import C, { $, api, say } from "../comptoir.js";
import { state } from "./state.js";
import { announce, clock } from "./sale.js";

const CLOCK_WORDS = { off: "till.clock_not_in", working: "till.clock_working", on_break: "till.clock_on_a_break" };
const CLOCK_SHORT = { off: "till.clock_off", working: "till.clock_working", on_break: "till.clock_on_break" };

function showClock(status) {
  state.clock = status;
  const since = status.since ? C.t("till.clock_since", { time: clock(status.since) }) : "";
  const word = (table) => (table[status.state] ? C.t(table[status.state]) : status.state);
  $("clock-state").textContent = C.t("till.clock_state", { user: status.user, state: word(CLOCK_WORDS), since });
  $("clock-label").textContent = C.t("till.clock_label", { state: word(CLOCK_SHORT) });
  $("clock-in").disabled = status.state !== "off";
  $("break-start").disabled = status.state !== "working";
  $("break-end").disabled = status.state !== "on_break";
  $("clock-out").disabled = status.state === "off";
}

export async function refreshClock() {
  if (!state.me || !state.me.permissions.includes("clock_in")) {
    C.show($("clock-button"), false);
    return;
  }
  try {
    showClock(await api("GET", "/time-clock"));
    C.show($("clock-button"), true);
  } catch (err) {
    C.show($("clock-button"), err.status !== 404 && err.status !== 403);
  }
}

export async function openClock() {
  if ($("clock-button").hidden || state.busy) return;
  say($("clock-error"), "");
  C.openDialog($("clock-dialog"), $("clock-dialog").querySelector(".close-dialog"));
  await refreshClock();
  const next = $("clock-dialog").querySelector("[data-action]:not([disabled])");
  if (next) next.focus();
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  for (const button of document.querySelectorAll("#clock-dialog [data-action]")) {
    button.addEventListener("click", async () => {
      if (state.busy) return;
      state.busy = true;
      say($("clock-error"), "");
      try {
        showClock(await api("POST", "/time-clock", { json: { action: button.dataset.action } }));
        announce($("clock-state").textContent);
        const next = $("clock-dialog").querySelector("[data-action]:not([disabled])");
        if (next) next.focus();
      } catch (err) {
        say($("clock-error"), err.message);
      } finally {
        state.busy = false;
      }
    });
  }
}
