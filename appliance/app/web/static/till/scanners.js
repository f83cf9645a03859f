/* The till: scanners: the keyboard wedge (whatever has the focus) and the backend's stream. */

import { $ } from "../comptoir.js";
import { createWedgeDetector } from "../scanner.js";
import { state } from "./state.js";
import { RECEIPT_NUMBER } from "./constants.js";
import { findRefund, openRefund } from "./returns.js";
import { newSale } from "./sale.js";
import { runQueue } from "./scan.js";
import { checkGiftBalance } from "./tenders.js";

/** A code from a scanner: an item for the sale, or a receipt to return from. */
export function acceptScan(code) {
  const text = String(code).trim();
  if (!text) return;
  const dialogOpen = document.querySelector("dialog[open]");
  const field = document.activeElement;
  if (dialogOpen && field instanceof HTMLInputElement && field.dataset.takesScan && dialogOpen.contains(field)) {
    field.value = text; // a gift card's number, or an item coming back without a receipt
    if (field === $("noreceipt-code")) $("noreceipt-add").requestSubmit();
    else if (field === $("gift-code")) checkGiftBalance();
    else if (field === $("customer-q")) $("customer-find").requestSubmit(); // a loyalty card's barcode
    return;
  }
  if (RECEIPT_NUMBER.test(text)) {
    if ($("refund-dialog").open) {
      $("refund-receipt").value = text.toUpperCase();
      findRefund();
      return;
    }
    if (!dialogOpen && !state.scanning && !state.queue.length) {
      openRefund(text.toUpperCase());
      return;
    }
  }
  if (state.done) newSale({ keepFocus: !!dialogOpen });
  state.queue.push(text);
  runQueue();
}

const wedge = createWedgeDetector();
const WEDGE_WAIT = 36; // ms: the detector's gap, after which held keys were a person's
const wedgeState = { target: null, timer: null };

function isTextField(node) {
  if (node instanceof HTMLTextAreaElement) return true;
  return node instanceof HTMLInputElement && !["radio", "checkbox", "button", "submit", "reset"].includes(node.type);
}

/** Card numbers and passwords are never taken for barcodes: the wedge stands aside. */
function wedgeApplies(target) {
  if ($("app-view").hidden) return false;
  if ($("card-dialog").open) return false;
  return !(target instanceof HTMLInputElement && target.type === "password");
}

/** Held keys that were a person's go where they were typed, none lost. */
function typeKeys(keys, target) {
  if (!keys.length) return;
  let field = target && target.isConnected && isTextField(target) && !target.disabled && !target.readOnly ? target : null;
  if (!field) {
    if (document.querySelector("dialog[open]")) return; // keys on a dialog's button type nothing
    field = $("scan-input");
    field.focus();
  }
  const text = keys.join("");
  try {
    const start = field.selectionStart ?? field.value.length;
    const end = field.selectionEnd ?? start;
    field.setRangeText(text, start, end, "end");
  } catch (e) {
    field.value += text;
  }
  if (field.maxLength > 0 && field.value.length > field.maxLength) field.value = field.value.slice(0, field.maxLength);
  field.dispatchEvent(new Event("input", { bubbles: true }));
}

function armWedgeTimer() {
  clearTimeout(wedgeState.timer);
  wedgeState.timer = setTimeout(() => {
    typeKeys(wedge.expire(performance.now()), wedgeState.target);
    if (wedge.pending) armWedgeTimer();
  }, WEDGE_WAIT);
}

function flushWedge() {
  clearTimeout(wedgeState.timer);
  typeKeys(wedge.reset(), wedgeState.target);
}

function hold(event) {
  event.preventDefault();
  event.stopImmediatePropagation();
}

/** Scans from the till's own HID and serial scanners (GET /scans/stream, event `scan`). */
export function startScanStream() {
  if (state.scanStream || typeof EventSource === "undefined") return;
  const source = new EventSource("/api/v1/scans/stream");
  source.addEventListener("scan", (event) => {
    let data = null;
    try {
      data = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (data && typeof data.code === "string" && state.me) acceptScan(data.code);
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED && state.scanStream === source) state.scanStream = null;
  });
  state.scanStream = source;
}

export function stopScanStream() {
  if (state.scanStream) state.scanStream.close();
  state.scanStream = null;
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  // Capture phase, on the window: before any field or the till's own keys see the key.
  window.addEventListener("keydown", (event) => {
    if (!wedgeApplies(event.target)) {
      if (wedge.pending) flushWedge();
      return;
    }
    const key = event.key;
    if (event.ctrlKey || event.altKey || event.metaKey || event.isComposing) {
      if (wedge.pending) flushWedge();
      return;
    }
    if (key === "Shift" || key === "CapsLock") return; // scanners shift for capitals
    if (key.length !== 1 && key !== "Enter") {
      if (wedge.pending) flushWedge(); // Backspace, Tab, arrows: after the keys typed before them
      return;
    }
    if (key === " " && !wedge.pending && !isTextField(event.target)) return; // Space presses a button
    if (!wedge.pending) wedgeState.target = event.target;
    const answer = wedge.feed({ key, time: event.timeStamp });
    if (answer.action === "hold") {
      hold(event);
      armWedgeTimer();
    } else if (answer.action === "scan") {
      hold(event);
      clearTimeout(wedgeState.timer);
      let code = answer.code;
      const scanInput = $("scan-input");
      if (wedgeState.target === scanInput && scanInput.value.trim()) {
        code = scanInput.value.trim() + code; // "3*" typed, then the item scanned
        scanInput.value = "";
      }
      acceptScan(code);
    } else if (answer.action === "type") {
      typeKeys(answer.keys, wedgeState.target);
      if (answer.pass) {
        clearTimeout(wedgeState.timer);
      } else {
        hold(event);
        wedgeState.target = event.target;
        armWedgeTimer();
      }
    }
  }, true);
}
