/* The on-screen keys of the attendant's keyboard, and what a key does to the field being
 * typed (pure: the value in, the value out). No card is typed at self-service: the terminal
 * reads it. */

export function keyButton(label, onPress, extraClass, name) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "ss-key" + (extraClass ? " " + extraClass : "");
  button.textContent = label;
  if (name) button.setAttribute("aria-label", name);
  // Keep the focus in the field being typed: a tap on a key must not take it away.
  button.addEventListener("pointerdown", (event) => event.preventDefault());
  button.addEventListener("click", onPress);
  return button;
}

/** The field after `current` in `fields`, round to the first. */
export function nextField(fields, current) {
  return fields[(fields.indexOf(current) + 1) % fields.length];
}

/** The attendant keyboard's rows of characters, shifted or not. */
export const KEYBOARD_ROWS = ["1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm-_."];

export function keyLabel(ch, shifted) {
  return shifted ? ch.toUpperCase() : ch;
}
