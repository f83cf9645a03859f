/* The back office's frame: one login, one password change, one menu. Each part of the back
 * office (manager.js: catalogue, staff, store rules, sales report, audit; backoffice.js: stock,
 * customers, gift cards, time clock, reports) registers what it loads and what it resets;
 * this file shows the sections a role may see, by the URL's hash (/backoffice#stock), and
 * moves the focus to a section's title when the menu opens it, so a screen reader says
 * where the person landed.
 *
 * A module: manager.js and backoffice.js import it (and common.js through comptoir.js). */
import C from "./comptoir.js";

const Office = (() => {
  const { $ } = C;
  const parts = [];
  let me = null;
  let shown = null; // the section on screen: the focus moves only when another one opens

  const can = (permission) => !!me && me.permissions.includes(permission);

  function sections() {
    return Array.from(document.querySelectorAll(".office-main > section[data-needs]"));
  }

  /** The menu shows what the role may open; a group with nothing in it is hidden whole. */
  function showMenu() {
    for (const item of document.querySelectorAll(".office-nav li[data-needs]")) C.show(item, can(item.dataset.needs));
    for (const group of document.querySelectorAll(".office-nav [data-group]")) {
      C.show(group, Array.from(group.querySelectorAll("li[data-needs]")).some((item) => !item.hidden));
    }
    for (const part of document.querySelectorAll(".office-main section [data-needs]")) C.show(part, can(part.dataset.needs));
  }

  function route(moveFocus) {
    if (!me) return;
    const allowed = sections().filter((s) => can(s.dataset.needs));
    C.show($("nothing"), allowed.length === 0);
    const current = allowed.find((s) => s.id === location.hash.slice(1)) || allowed[0];
    for (const s of sections()) C.show(s, s === current);
    const opened = current !== shown;
    shown = current;
    for (const link of document.querySelectorAll(".office-nav a")) {
      if (current && link.getAttribute("href") === "#" + current.id) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    if (!current) return;
    const title = current.querySelector("h1");
    if (moveFocus && opened && title) {
      if (!title.hasAttribute("tabindex")) title.setAttribute("tabindex", "-1");
      title.focus();
    }
    if (current.dataset.loaded) return;
    const load = parts.map((p) => p.loaders && p.loaders[current.id]).find(Boolean);
    if (load) {
      current.dataset.loaded = "1";
      load();
    }
  }
  window.addEventListener("hashchange", () => route(true));

  /* route() without moving the focus: for a part that opens another section itself (its own
   * focus follows), before the hashchange that would otherwise move it. */

  /**
   * A part of the back office: `loaders` maps a section's id to what fills it the first time
   * it shows; `onReady(me, settings)` runs at each login; `onLoggedOut()` at each logout;
   * `onLanguage(code)` when the person picks another language: what the part wrote itself
   * in words it writes again (the page's marked words are already filled); `redraw` maps a
   * section's id to what draws it again in the new language without reading the API (else
   * its loader runs again).
   */
  function register(part) {
    parts.push(part);
  }

  function start() {
    C.session({
      words: true, // backoffice.html is marked for the shop's words (backoffice.*)
      onReady(who, settings) {
        me = who;
        for (const s of sections()) delete s.dataset.loaded;
        showMenu();
        for (const p of parts) if (p.onReady) p.onReady(who, settings);
        route(false);
      },
      onLoggedOut() {
        me = null;
        shown = null;
        for (const p of parts) if (p.onLoggedOut) p.onLoggedOut();
        for (const s of sections()) C.show(s, false);
      },
      onLanguage(code) {
        for (const p of parts) if (p.onLanguage) p.onLanguage(code);
        // What a section wrote it writes again: drawn afresh from what it holds where a part
        // can (`redraw`), else read again from the API, the section on screen now and any
        // other when it next opens.
        for (const s of sections()) {
          if (!s.dataset.loaded) continue;
          const redraw = parts.map((p) => p.redraw && p.redraw[s.id]).find(Boolean);
          if (redraw) redraw();
          else delete s.dataset.loaded;
        }
        route(false);
      },
    }).start();
  }
  // The parts' modules register as they run, before the page's DOMContentLoaded; the session
  // starts once they all have.
  document.addEventListener("DOMContentLoaded", start);

  return { register, can, route: () => route(false) };
})();

export default Office;
