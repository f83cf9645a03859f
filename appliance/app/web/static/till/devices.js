/* The till: status of the network (this screen's reach of the service), of the printer and
 * of the link to the office (officelink.js), and the customer display's pairing (pairing.js). */

import C, { $, api, t } from "../comptoir.js";
import { setupDisplayPairing } from "../pairing.js";
import { checkOffice } from "./officelink.js";
import { state } from "./state.js";
import { announce } from "./sale.js";

export function setStatus(id, textId, stateName, text) {
  const node = $(id);
  node.dataset.state = stateName;
  $(textId).textContent = text;
}

async function checkNetwork() {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 4000);
  try {
    const answer = await fetch("/healthz", { cache: "no-store", signal: controller.signal });
    setStatus("net-status", "net-text", answer.ok ? "ok" : "bad", answer.ok ? t("till.network_online") : t("till.network_not_ready"));
  } catch (e) {
    setStatus("net-status", "net-text", "bad", t("till.network_offline"));
  } finally {
    clearTimeout(timer);
  }
}

/** GET /printer: {configured, running, pending, problem, jobs}. A build without the route
 * (404) hides the printer's status. */
export async function checkPrinter() {
  if (!state.printer) return;
  try {
    const p = await api("GET", "/printer");
    state.printerInfo = p;
    const waiting = (p.jobs || []).length;
    $("printer-count").textContent = String(waiting);
    C.show($("printer-button"), waiting > 0 || !!p.problem);
    let words = t("till.printer_ready");
    let mood = "ok";
    if (p.configured === false) {
      words = t("till.printer_none");
      mood = "unknown";
    } else if (p.problem) {
      words = String(p.problem);
      mood = "bad";
    } else if (p.pending > 0) {
      words = t(p.pending === 1 ? "till.printer_one_waiting" : "till.printer_waiting", { count: p.pending });
      mood = "warn";
    } else if (p.running === false) {
      words = t("till.printer_not_running");
      mood = "bad";
    }
    setStatus("printer-status", "printer-text", mood, t("till.printer_status", { status: words }));
    C.show($("printer-status"), true);
  } catch (err) {
    if (err.status === 404 || err.status === 405) {
      state.printer = false; // this build has no printer route
      C.show($("printer-status"), false);
    } else if (err.status !== 401) {
      setStatus("printer-status", "printer-text", "bad", t("till.printer_unknown"));
      C.show($("printer-status"), true);
    }
  }
}

export function startStatus() {
  checkNetwork();
  checkPrinter();
  checkOffice();
  if (!state.statusTimer) {
    state.statusTimer = setInterval(() => {
      checkNetwork();
      if (state.me) checkPrinter();
      if (state.me) checkOffice();
    }, 10000);
  }
}

export function showNotice(message) {
  announce(message);
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  setupDisplayPairing(C); // the "Pair display" button and its dialog
  window.addEventListener("online", checkNetwork);
  window.addEventListener("offline", () => setStatus("net-status", "net-text", "bad", t("till.network_offline")));
}
