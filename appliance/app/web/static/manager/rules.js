/* The store's rules, each part its own form (loyalty, gift card expiry, cash and locale,
 * keyed card payments, the update window, scale labels); only what changed is sent, so that the audit log says what was changed. */
import C, { $, api, el, say } from "../comptoir.js";
import { Problem, blame, clearBlame, notAnAmount, readOrSay, state, w } from "./shared.js";

export const PREFIXES = ["20", "21", "22", "23", "24", "25", "26", "27", "28", "29"];

/** What of `wanted` differs from the rules as they are. */
export function ruleChanges(wanted, rules) {
  return Object.fromEntries(Object.entries(wanted)
    .filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(rules[key])));
}

/** Loyalty's form read: points per unit, the value of a point; a Problem names the field. */
export function loyaltyWanted(typed, currency) {
  const points = typed.points.trim();
  if (!/^\d{1,9}$/.test(points)) throw new Problem(w("points_whole_number"), "ru-points");
  const valueText = typed.value.trim();
  const value = C.parseAmount(valueText, currency);
  if (value === null) throw new Problem(notAnAmount(w("the_value_of_a_point"), valueText, currency), "ru-value");
  return { loyalty_enabled: typed.enabled, loyalty_points_per_unit: Number(points), loyalty_point_value: value };
}

/** The scale-label field an API refusal is about ("prefix 23 …" → ru-prefix-23). */
export function labelField(err) {
  if (err.code !== "invalid_prefix") return "ru-layout";
  const m = /prefix (2\d)\b/.exec(err.message);
  return m ? `ru-prefix-${m[1]}` : "ru-prefix-20";
}

/** The parts of the rules, each its own form: what it shows, and what it would save. */
const RULE_PARTS = {
  loyalty: {
    show(r) {
      $("ru-loyalty").checked = !!r.loyalty_enabled;
      $("ru-points").value = String(r.loyalty_points_per_unit);
      $("ru-value").value = C.formatLocal(r.loyalty_point_value, state.currency);
    },
    wanted: () => loyaltyWanted({ enabled: $("ru-loyalty").checked, points: $("ru-points").value, value: $("ru-value").value }, state.currency),
    field: (err) => (/value/.test(err.message) ? "ru-value" : "ru-points"),
  },
  expiry: {
    show(r) {
      $("ru-expiry").value = String(r.gift_card_expiry_days);
    },
    wanted() {
      const days = $("ru-expiry").value.trim();
      if (!/^\d{1,9}$/.test(days)) {
        throw new Problem(w("expiry_whole_days"), "ru-expiry");
      }
      return { gift_card_expiry_days: Number(days) };
    },
    field: () => "ru-expiry",
  },
  cash: {
    show(r) {
      $("ru-rounding").value = r.cash_rounding;
      $("ru-locale").value = r.locale;
      $("ru-cash-shift").checked = r.cash_requires_shift;
      // This screen writes amounts the new way at once, in the language the person reads.
      C.setLocale(C.localeFor(C.language(), r.locale));
    },
    wanted() {
      const tag = $("ru-locale").value.trim();
      let known = [];
      try {
        known = Intl.NumberFormat.supportedLocalesOf([tag]);
      } catch (e) {
        known = [];
      }
      if (!known.length) throw new Problem(w("not_a_language", { tag }), "ru-locale");
      return { cash_rounding: $("ru-rounding").value, locale: tag, cash_requires_shift: $("ru-cash-shift").checked };
    },
    field: (err) => (err.code === "invalid_locale" ? "ru-locale" : "ru-rounding"),
  },
  keyed: {
    show(r) {
      $("ru-keyed").checked = !!r.keyed_card_payments;
    },
    wanted: () => ({ keyed_card_payments: $("ru-keyed").checked }),
    field: () => "ru-keyed",
  },
  updates: {
    show(r) {
      $("ru-update-window").value = r.update_window;
    },
    wanted() {
      const text = $("ru-update-window").value.trim();
      if (!/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(text)) {
        throw new Problem(w("update_window_format"), "ru-update-window");
      }
      return { update_window: text };
    },
    field: () => "ru-update-window",
  },
  labels: {
    show(r) {
      $("ru-layout").value = r.variable_measure_layout;
      const grid = $("ru-prefixes");
      grid.replaceChildren();
      for (const prefix of PREFIXES) {
        const select = el("select", { id: `ru-prefix-${prefix}` },
          el("option", { value: "" }, w("not_a_scale_label")),
          el("option", { value: "price" }, w("a_price")),
          el("option", { value: "weight" }, w("a_weight_grams")));
        select.value = r.variable_measure_prefixes[prefix] || "";
        grid.append(el("div", {}, el("label", { for: select.id }, w("prefix_n", { prefix })), select));
      }
    },
    wanted() {
      return {
        variable_measure_layout: $("ru-layout").value.trim(),
        variable_measure_prefixes: Object.fromEntries(
          PREFIXES.map((p) => [p, $(`ru-prefix-${p}`).value]).filter(([, kind]) => kind)),
      };
    },
    field: labelField,
  },
};

export async function loadRules() {
  say($("rules-load-error"), "");
  try {
    const rules = await api("GET", "/settings/rules");
    state.rules = rules;
    for (const part of Object.values(RULE_PARTS)) part.show(rules);
  } catch (err) {
    say($("rules-load-error"), err.message);
  }
}

export function wire() {
  for (const [name, part] of Object.entries(RULE_PARTS)) {
    $(`${name}-form`).addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.target;
      const error = $(`${name}-error`);
      const done = $(`${name}-done`);
      clearBlame(form);
      say(error, "");
      say(done, "");
      if (!state.rules) {
        await loadRules();
        return;
      }
      const wanted = readOrSay(() => part.wanted(), error);
      if (!wanted) return;
      // Only what changed, so that the audit log says what was changed.
      const changes = ruleChanges(wanted, state.rules);
      if (!Object.keys(changes).length) {
        say(done, w("nothing_to_save_rules"));
        return;
      }
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const saved = await api("PUT", "/settings/rules", { json: changes });
        state.rules = saved;
        part.show(saved);
        say(done, w("rules_saved"));
      } catch (err) {
        say(error, err.message);
        if (err.status === 422) blame($(part.field(err)));
      } finally {
        button.disabled = false;
      }
    });
  }
}

export const loaders = { rules: loadRules };

export function onReady() {
  state.rules = null;
}
