/* Products imported from a CSV file; a refusal lists its bad rows one by one. */
import { $, api, el, say } from "../comptoir.js";
import { w } from "./shared.js";

/** "nothing imported, 2 bad row(s): line 3: …; line 5: …" → {head: "Nothing imported, 2 bad
 * row(s):", rows: ["line 3: …", "line 5: …"]}; another message → {head: message, rows: []}. */
export function importErrorParts(message) {
  const m = /^(.*?bad row\(s\)):\s*(.*)$/s.exec(message);
  if (!m) return { head: message, rows: [] };
  return { head: m[1].charAt(0).toUpperCase() + m[1].slice(1) + ":", rows: m[2].split(/;\s*(?=line \d+:)/) };
}

function showImportError(message) {
  const box = $("import-error");
  const { head, rows } = importErrorParts(message);
  box.replaceChildren(el("p", {}, head));
  if (rows.length) box.append(el("ul", { class: "row-errors" }, ...rows.map((r) => el("li", {}, r))));
  box.hidden = false;
}

export function wire() {
  $("import-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const errorBox = $("import-error");
    errorBox.replaceChildren();
    errorBox.hidden = true;
    say($("import-done"), "");
    const file = $("import-file").files[0];
    if (!file) {
      showImportError(w("choose_a_csv_file_first"));
      return;
    }
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await api("POST", "/products/import", { body: file, contentType: "text/csv" });
      say($("import-done"), w(answer.imported === 1 ? "imported_one" : "imported_many", { count: answer.imported, file: file.name }));
      $("import-file").value = "";
      delete $("products").dataset.loaded;
    } catch (err) {
      showImportError(err.message);
    } finally {
      button.disabled = false;
    }
  });
}
