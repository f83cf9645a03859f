/* Staff accounts: the list, one account managed at a time (its password or PIN reset, its
 * badge set or cleared, disabled or enabled, its role changed), a new account made. */
import C, { $, api, el, say } from "../comptoir.js";
import { state, w } from "./shared.js";

// What each role may hand out (rbac.may_grant); the API decides, the screen only offers.
export const GRANTS = { admin: ["cashier", "supervisor", "manager", "admin", "auditor"], manager: ["cashier", "supervisor"] };
export const PIN_ROLES = ["cashier", "supervisor", "manager", "admin"];

/** Whether `me` is offered to manage account `u`: never their own, only a role they may grant. */
export const mayManage = (me, u) => !!me && u.username !== me.username && (GRANTS[me.role] || []).includes(u.role);

/** "active, locked, PIN" in the person's language. */
export function staffStates(u) {
  const states = [u.active ? w("state_active") : w("state_disabled")];
  if (u.locked) states.push(w("state_locked"));
  if (u.must_change_password) states.push(w("state_must_change_password"));
  if (u.pin === "one_time") states.push(w("state_one_time_pin"));
  else if (u.pin === "set") states.push(w("state_pin"));
  if (u.badge) states.push(w("state_badge"));
  return states.join(", ");
}

const roleWord = (role) => C.t(`session.role_${role}`);
const staffList = { users: [], managing: null };

export async function loadStaff() {
  say($("staff-error"), "");
  try {
    const answer = await api("GET", "/users");
    staffList.users = answer.users;
    const body = $("staff-body");
    body.replaceChildren();
    for (const u of answer.users) {
      const actions = el("td", {});
      if (u.locked) {
        const unlock = el("button", { type: "button", "data-user": u.username, "aria-label": w("unlock_user", { user: u.username }) }, w("unlock"));
        unlock.addEventListener("click", () => unlockUser(u.username));
        actions.append(unlock, " ");
      }
      if (mayManage(state.me, u)) {
        const manage = el("button", { type: "button", "aria-label": w("manage_user", { user: u.username }) }, w("manage"));
        manage.addEventListener("click", () => manageUser(u.username));
        actions.append(manage);
      }
      body.append(el("tr", {}, el("td", {}, u.username), el("td", {}, roleWord(u.role)), el("td", {}, staffStates(u)), actions));
    }
    if (staffList.managing) showManaged(false);
  } catch (err) {
    say($("staff-error"), err.message);
  }
}

async function unlockUser(username) {
  say($("staff-done"), "");
  try {
    await api("POST", `/users/${encodeURIComponent(username)}/unlock`, { json: {} });
    say($("staff-done"), w("user_unlocked", { user: username }));
    loadStaff();
  } catch (err) {
    say($("staff-error"), err.message);
  }
}

/* One account at a time: reset its password or PIN, set or clear its badge, disable or
 * enable it, change its role. */

function manageUser(username) {
  staffList.managing = username;
  say($("manage-error"), "");
  say($("manage-done"), "");
  hideSecret();
  $("badge-form").reset();
  showManaged(true);
}

function managed() {
  return staffList.users.find((u) => u.username === staffList.managing) || null;
}

function showManaged(focus) {
  const u = managed();
  C.show($("staff-manage"), !!u);
  if (!u) return;
  $("manage-user").textContent = u.username;
  $("manage-state").textContent = `${roleWord(u.role)}; ${staffStates(u)}.`;
  $("manage-active").textContent = u.active ? w("disable_account") : w("enable_account");
  $("manage-active").className = u.active ? "danger" : "";
  const withPin = PIN_ROLES.includes(u.role);
  C.show($("manage-reset-pin"), withPin);
  C.show($("badge-form"), withPin);
  $("manage-clear-badge").disabled = !u.badge;
  const roles = GRANTS[state.me.role] || [];
  $("manage-role").replaceChildren(...roles.map((r) => el("option", { value: r }, w(r))));
  $("manage-role").value = u.role;
  if (focus) $("manage-title").focus();
}

function hideSecret() {
  $("manage-secret-value").textContent = "";
  C.show($("manage-secret"), false);
}

function showSecret(what, value) {
  $("manage-secret-what").textContent = what;
  $("manage-secret-value").textContent = value;
  C.show($("manage-secret"), true);
  $("manage-secret-done").focus();
}

/** Runs one change on the managed account; says what happened and reloads the list. */
async function manageAct(act) {
  const u = managed();
  if (!u) return;
  say($("manage-error"), "");
  say($("manage-done"), "");
  hideSecret();
  const path = `/users/${encodeURIComponent(u.username)}`;
  try {
    await act(u, path);
  } catch (err) {
    say($("manage-error"), err.message);
  }
  await loadStaff();
}

export function wire() {
  $("manage-reset-password").addEventListener("click", () => manageAct(async (u, path) => {
    const answer = await api("POST", `${path}/reset-password`, { json: {} });
    showSecret(w("one_time_password_for", { user: u.username }), answer.one_time_password);
  }));

  $("manage-reset-pin").addEventListener("click", () => manageAct(async (u, path) => {
    const answer = await api("POST", `${path}/pin`, { json: {} });
    showSecret(w("one_time_pin_for", { user: u.username }), answer.one_time_pin);
  }));

  $("manage-active").addEventListener("click", () => manageAct(async (u, path) => {
    await api("PATCH", path, { json: { active: !u.active } });
    say($("manage-done"), u.active ? w("user_disabled", { user: u.username }) : w("user_enabled", { user: u.username }));
  }));

  $("role-form").addEventListener("submit", (event) => {
    event.preventDefault();
    manageAct(async (u, path) => {
      const role = $("manage-role").value;
      if (role === u.role) {
        say($("manage-done"), w("role_already", { user: u.username, role: roleWord(role) }));
        return;
      }
      await api("PATCH", path, { json: { role } });
      say($("manage-done"), w("role_now", { user: u.username, role: roleWord(role) }));
    });
  });

  $("badge-form").addEventListener("submit", (event) => {
    event.preventDefault();
    manageAct(async (u, path) => {
      const badge = $("manage-badge").value.trim();
      if (!badge) throw new C.ApiError(0, "missing", w("scan_the_badge_first"));
      try {
        await api("PUT", `${path}/badge`, { json: { badge } });
      } finally {
        $("badge-form").reset();
      }
      say($("manage-done"), w("badge_set", { user: u.username }));
    });
  });

  $("manage-clear-badge").addEventListener("click", () => manageAct(async (u, path) => {
    await api("DELETE", `${path}/badge`);
    say($("manage-done"), w("badge_cleared", { user: u.username }));
  }));

  $("manage-secret-done").addEventListener("click", () => {
    hideSecret();
    $("manage-title").focus();
  });

  $("manage-close").addEventListener("click", () => {
    staffList.managing = null;
    hideSecret();
    C.show($("staff-manage"), false);
    $("staff-title").focus();
  });

  $("user-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    say($("user-error"), "");
    C.show($("user-secret"), false);
    const body = { username: $("u-name").value.trim(), role: $("u-role").value };
    const password = $("u-password").value;
    if (password) body.password = password;
    try {
      const made = await api("POST", "/users", { json: body });
      event.target.reset();
      if (made.one_time_password) {
        $("secret-user").textContent = made.username;
        $("secret-password").textContent = made.one_time_password;
        C.show($("user-secret"), true);
        $("secret-done").focus();
      } else {
        say($("staff-done"), w("account_created", { user: made.username, role: roleWord(made.role) }));
      }
      loadStaff();
    } catch (err) {
      say($("user-error"), err.message);
    }
  });

  $("secret-done").addEventListener("click", () => {
    $("secret-password").textContent = "";
    C.show($("user-secret"), false);
    $("u-name").focus();
  });
}

export const loaders = { staff: loadStaff };

export function onLoggedOut() {
  staffList.managing = null;
  hideSecret();
  C.show($("staff-manage"), false);
}
