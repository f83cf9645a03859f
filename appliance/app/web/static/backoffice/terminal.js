/* Card terminal, to check: what the payment terminal moved and the till could not put right
 * on its own (a charge held with no sale, a refund the terminal refused, an outcome it cannot
 * tell), each settled by a manager's decision (GET /terminal/checks, POST …/decision). The
 * count shows beside the menu's link as soon as the back office opens, so a manager notices. */
import C, { $, api, el, say } from "../comptoir.js";
import { frame, rowButton, w, when } from "./shared.js";

const KINDS = { charge: "terminal_kind_charge", refund: "terminal_kind_refund", reversal: "terminal_kind_reversal" };
const WHY = {
  charge_held: "terminal_why_charge_held",
  refund_refused: "terminal_why_refund_refused",
  outcome_unknown: "terminal_why_outcome_unknown",
};
const DECISIONS = {
  refund: "terminal_refund",
  attach: "terminal_attach",
  keep: "terminal_keep",
  approved: "terminal_approved",
  not_approved: "terminal_not_approved",
};
let shown = []; // the checks on screen, for a change of language
let unresolved = 0;
let deciding = null; // {check, decision, back}

const wordOf = (table, key) => (table[key] ? w(table[key]) : key);

/** The menu's count: hidden when nothing waits. */
export function showCount(count) {
  const badge = $("terminal-count");
  badge.textContent = count ? String(count) : "";
  C.show(badge, count > 0);
}

function draw() {
  const body = $("terminal-body");
  body.replaceChildren();
  for (const check of shown) {
    const whose = w("terminal_whose", { id: check.id, sale: check.sale_id });
    const buttons = check.decisions.map((decision) =>
      rowButton(wordOf(DECISIONS, decision), whose, () => ask(check, decision), decision === "keep" ? "ghost" : null));
    const reason = check.reason ? el("div", { class: "hint" }, check.reason) : "";
    const earlier = check.last_decision
      ? el("div", { class: "hint" }, w("terminal_decided_before", { decision: wordOf(DECISIONS, check.last_decision) }))
      : "";
    body.append(el("tr", {},
      el("td", { class: "nowrap" }, when(check.last_sent_at || check.created_at)),
      el("td", { class: "num" }, String(check.sale_id)),
      el("td", {}, wordOf(KINDS, check.kind), check.card ? el("div", { class: "hint" }, check.card) : ""),
      el("td", { class: "num" }, C.formatAmount(check.amount, check.currency)),
      el("td", {}, wordOf(WHY, check.why), reason,
        el("div", { class: "hint mono" }, w("terminal_our_reference", { reference: check.reference })), earlier),
      el("td", {}, el("div", { class: "row-buttons" }, ...buttons))));
  }
  if (!shown.length) body.append(el("tr", {}, el("td", { colspan: "6" }, w("terminal_nothing_to_check"))));
  const still = $("terminal-unresolved");
  still.textContent = unresolved ? w("terminal_still_asked", { count: unresolved }) : "";
  C.show(still, unresolved > 0);
  showCount(shown.length);
}

export async function loadChecks() {
  say($("terminal-error"), "");
  try {
    const found = await api("GET", "/terminal/checks");
    shown = found.checks;
    unresolved = found.unresolved;
    draw();
  } catch (err) {
    say($("terminal-error"), err.message);
  }
}

function ask(check, decision) {
  deciding = { check, decision, back: document.activeElement };
  $("decide-title").textContent = wordOf(DECISIONS, decision);
  $("decide-what").textContent = w("terminal_decide_what", {
    kind: wordOf(KINDS, check.kind),
    amount: C.money(check.amount, check.currency),
    sale: check.sale_id,
    reference: check.reference,
  });
  $("decide-explain").textContent = w(`${DECISIONS[decision]}_explain`);
  C.show($("decide-sale-row"), decision === "attach");
  $("decide-sale").value = "";
  $("decide-note").value = "";
  $("decide-note").required = decision === "keep";
  $("decide-confirm").textContent = wordOf(DECISIONS, decision);
  say($("decide-error"), "");
  C.openDialog($("decide-dialog"), decision === "attach" ? $("decide-sale") : $("decide-note"));
}

async function decide(e) {
  e.preventDefault();
  if (!deciding) return;
  say($("decide-error"), "");
  const { check, decision } = deciding;
  const body = { decision };
  const note = $("decide-note").value.trim();
  if (note) body.note = note;
  if (decision === "attach") {
    const sale = $("decide-sale").value.trim();
    if (!/^\d{1,9}$/.test(sale) || Number(sale) < 1) {
      say($("decide-error"), w("terminal_sale_number_needed"));
      return;
    }
    body.sale_id = Number(sale);
  }
  try {
    const done = await api("POST", `/terminal/checks/${check.id}/decision`, { json: body });
    deciding.back = $("terminal-title"); // its row may be about to go
    C.closeDialog($("decide-dialog"));
    const key = done.settled ? "terminal_settled" : "terminal_not_settled";
    say($("terminal-done"), w(key, { id: check.id, decision: wordOf(DECISIONS, decision) }));
    await loadChecks();
  } catch (err) {
    say($("decide-error"), err.message);
  }
}

export function wire() {
  $("decide-dialog").addEventListener("close", () => {
    const back = deciding && deciding.back;
    deciding = null;
    if (back && back.isConnected) back.focus();
    else $("terminal-title").focus();
  });
  $("decide-back").addEventListener("click", () => C.closeDialog($("decide-dialog")));
  $("decide-form").addEventListener("submit", decide);
  $("terminal-refresh").addEventListener("click", () => { say($("terminal-done"), ""); loadChecks(); });
}

/** As the back office opens: the count beside the menu's link (a manager's only). */
export async function onReady() {
  showCount(0);
  if (!frame.can("settle_terminal")) return;
  try {
    showCount((await api("GET", "/terminal/checks")).checks.length);
  } catch {
    // The count is a nudge: the section says what went wrong when it is opened.
  }
}

export const loaders = { terminal: () => loadChecks() };
export const redraw = { terminal: () => draw() };
