/* The till: no sale, reprint, the printer's queue. */

import C, { $, api, el, say } from "../comptoir.js";
import { state } from "./state.js";
import { approvalBox, reasonGiven, withApproval } from "./approval.js";
import { checkPrinter } from "./devices.js";
import { announce } from "./sale.js";

let nosaleApproval; // set by wire(): it reads the page
let reprintApproval; // set by wire(): it reads the page
let printerApproval; // set by wire(): it reads the page
export const LAST_KEY = "comptoir.last-receipt";

export function openNoSale() {
  if (state.busy) return;
  nosaleApproval.reset();
  $("nosale-reason").value = "";
  say($("nosale-done"), "");
  $("nosale-submit").disabled = false;
  C.openDialog($("nosale-dialog"), $("nosale-reason"));
  if (nosaleApproval.askUnlessAllowed("no_sale", "till.role_may_not_no_sale")) $("nosale-reason").focus();
}

export function rememberLast(sale) {
  state.lastSale = sale ? { id: sale.id, receipt: sale.receipt_number || "" } : null;
  try {
    if (state.lastSale) sessionStorage.setItem(LAST_KEY, JSON.stringify(state.lastSale));
  } catch (e) {
    /* kept for this page only */
  }
  $("reprint-button").disabled = !state.lastSale;
}

export function openReprint() {
  if (state.busy || !state.lastSale) return;
  reprintApproval.reset();
  say($("reprint-done"), "");
  $("reprint-sale").textContent = state.lastSale.receipt
    ? C.t("till.receipt_number_of", { number: state.lastSale.receipt }) : C.t("till.receipt_of_sale", { id: state.lastSale.id });
  C.openDialog($("reprint-dialog"), $("reprint-submit"));
  reprintApproval.askUnlessAllowed("reprint", "till.role_may_not_reprint");
}

const JOB_KINDS = { receipt: "till.job_receipt", copy: "till.job_copy", report: "till.job_report", test: "till.job_test", gift_card: "till.job_gift_card" };

function renderPrinterJobs() {
  const info = state.printerInfo || { jobs: [] };
  $("printer-problem").textContent = info.problem ? C.t("till.printer_problem", { problem: info.problem }) :
    info.pending ? C.t("till.waiting_to_print", { count: info.pending }) : C.t("till.printer_is_ready");
  const body = $("printer-body");
  body.replaceChildren();
  for (const job of info.jobs || []) {
    const button = el("button", { type: "button", class: "danger", "aria-label": C.t("till.cancel_print_job", { id: job.id }) }, C.t("till.cancel_stuck_job"));
    button.addEventListener("click", () => cancelJob(job.id));
    body.append(el("tr", {},
      el("td", {}, String(job.id)),
      el("td", {}, (JOB_KINDS[job.kind] ? C.t(JOB_KINDS[job.kind]) : job.kind) + (job.sale_id ? C.t("till.of_sale", { id: job.sale_id }) : "")),
      el("td", { class: "num" }, String(job.attempts)),
      el("td", {}, job.last_error || "—"),
      el("td", {}, button)));
  }
  const any = (info.jobs || []).length > 0;
  C.show($("printer-table"), any);
  C.show($("printer-empty"), !any);
}

export async function openPrinterQueue() {
  if (state.busy) return;
  printerApproval.reset();
  say($("printer-done"), "");
  await checkPrinter();
  renderPrinterJobs();
  C.openDialog($("printer-dialog"), $("printer-body").querySelector("button") || $("printer-dialog").querySelector(".close-dialog"));
  if (state.me && !state.me.permissions.includes("reprint") && (state.printerInfo || {}).pending) {
    printerApproval.ask(C.t("till.only_supervisor_cancels_job", { role: C.t(`session.role_${state.me.role}`) }));
  }
}

async function cancelJob(id) {
  if (state.busy) return;
  state.busy = true;
  say($("printer-error"), "");
  const answer = await withApproval(printerApproval, "reprint", $("printer-error"),
    (headers) => api("POST", `/print-jobs/${id}/cancel`, { json: {}, headers }),
    (err) => err.code === "forbidden");
  state.busy = false;
  if (!answer) return;
  printerApproval.reset();
  say($("printer-done"), C.t("till.print_job_cancelled", { id: answer.job }));
  await checkPrinter();
  renderPrinterJobs();
  $("printer-dialog").querySelector(".close-dialog").focus();
}

/** Its buttons and fields, once the page is there (cashier.js calls it once). */
export function wire() {
  nosaleApproval = approvalBox("nosale");
  reprintApproval = approvalBox("reprint");
  printerApproval = approvalBox("printer");

  $("nosale-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy) return;
    const reason = reasonGiven("nosale-reason", $("nosale-error"), "till.say_why_drawer");
    if (reason === null) return;
    state.busy = true;
    say($("nosale-error"), "");
    const answer = await withApproval(nosaleApproval, "no_sale", $("nosale-error"),
      (headers) => api("POST", "/drawer/open", { json: { reason }, headers }),
      (err) => err.code === "forbidden");
    state.busy = false;
    if (!answer) return;
    nosaleApproval.reset();
    say($("nosale-done"), answer.approved_by
      ? C.t("till.drawer_opened_approved", { name: answer.approved_by }) : C.t("till.drawer_opened"));
    announce(C.t("till.drawer_opened"));
    $("nosale-dialog").querySelector(".close-dialog").focus();
  });

  $("reprint-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (state.busy || !state.lastSale) return;
    state.busy = true;
    say($("reprint-error"), "");
    const answer = await withApproval(reprintApproval, "reprint", $("reprint-error"),
      (headers) => api("POST", `/sales/${state.lastSale.id}/reprint`, { json: {}, headers }),
      (err) => err.code === "forbidden");
    state.busy = false;
    if (!answer) return;
    reprintApproval.reset();
    say($("reprint-done"), C.t("till.copy_printing", { number: state.lastSale.receipt, job: answer.job }));
    announce(C.t("till.copy_sent"));
    $("reprint-dialog").querySelector(".close-dialog").focus();
    checkPrinter();
  });
}
