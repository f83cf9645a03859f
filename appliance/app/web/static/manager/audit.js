/* The audit log, newest entries loaded on demand after the last one shown. */
import { $, api, el, say } from "../comptoir.js";
import { state, w } from "./shared.js";

/** {"role":"cashier","n":[1,2]} → "role: cashier; n: 1, 2" */
export function describeDetails(details) {
  let value = details;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch (e) {
      return value;
    }
  }
  if (!value || typeof value !== "object") return value === null || value === undefined ? "" : String(value);
  const show = (v) => {
    if (Array.isArray(v)) return v.map((x) => (Array.isArray(x) ? x.join(" ") : show(x))).join(", ");
    return v && typeof v === "object" ? JSON.stringify(v) : String(v);
  };
  return Object.entries(value).map(([k, v]) => `${k.replace(/_/g, " ")}: ${show(v)}`).join("; ");
}

/** "2026-03-01T14:05:09.123456+00:00" → "2026-03-01 14:05:09": UTC, to the second. */
export const auditTime = (at) => String(at).replace("T", " ").replace(/(:\d\d)\.\d+/, "$1").replace(/Z$|\+00:00$/, "");

async function loadAudit() {
  say($("audit-error"), "");
  try {
    const answer = await api("GET", `/audit?after=${state.auditAfter}&limit=200`);
    const body = $("audit-body");
    for (const e of answer.entries) {
      body.append(el("tr", {},
        el("td", { class: "num" }, String(e.id)),
        el("td", { class: "nowrap" }, auditTime(e.at)),
        el("td", {}, e.actor), el("td", {}, e.action), el("td", {}, e.outcome || ""),
        el("td", {}, e.object || ""), el("td", { class: "details" }, describeDetails(e.details)),
        el("td", { class: "mono nowrap", title: e.hash }, String(e.hash || "").slice(0, 10) + "…")));
      state.auditAfter = Math.max(state.auditAfter, e.id);
    }
    $("audit-more").textContent = answer.entries.length ? w("load_newer_entries") : w("no_newer_entries");
  } catch (err) {
    say($("audit-error"), err.message);
  }
}

export function wire() {
  $("audit-more").addEventListener("click", loadAudit);
}

export const loaders = { audit: loadAudit };

export function onReady() {
  $("audit-body").replaceChildren();
  state.auditAfter = 0;
}
