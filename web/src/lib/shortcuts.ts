// Every keyboard shortcut of the board, declared once: the handlers match against these, and `?` lists them.

const isMac = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform);

export interface Shortcut { id: string; keys: string; what: string }

export const shortcuts = {
  commandBar: { id: "commandBar", keys: "Mod+K", what: "Open the command bar: create a task, find one, go somewhere" },
  run: { id: "run", keys: "Mod+R", what: "Run the task highlighted in the command bar, the focused card's, or the open one (a hovered card is not chosen: Mod+R elsewhere reloads the page)" },
  create: { id: "create", keys: "Mod+Enter", what: "Create the task (in the new-task dialog)" },
  createAndRun: { id: "createAndRun", keys: "Mod+Shift+Enter", what: "Create the task and run it (in the new-task dialog)" },
  open: { id: "open", keys: "Enter", what: "Open the focused card (a click opens a card too)" },
  next: { id: "next", keys: "J", what: "Focus the next card in the column (or ↓); K (or ↑) the one before" },
  across: { id: "across", keys: "L", what: "Focus the card beside it in the next column (or →); H (or ←) the column before" },
  help: { id: "help", keys: "?", what: "Show these shortcuts" },
  close: { id: "close", keys: "Escape", what: "Close a dialog" },
} satisfies Record<string, Shortcut>;

/** "Mod" is ⌘ on macOS and Ctrl elsewhere. */
export function label(keys: string): string {
  return keys.replace("Mod", isMac ? "⌘" : "Ctrl");
}

/** Whether a key event is this shortcut (modifiers exactly as declared). */
export function matches(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "shiftKey" | "altKey">, shortcut: Shortcut, mac = isMac): boolean {
  const parts = shortcut.keys.split("+");
  const key = parts[parts.length - 1]!;
  const mod = parts.includes("Mod");
  const shift = parts.includes("Shift");
  const modPressed = mac ? e.metaKey : e.ctrlKey;
  if (mod !== modPressed || e.altKey) return false;
  if (key === "?") return e.key === "?";
  return shift === e.shiftKey && e.key.toLowerCase() === key.toLowerCase();
}

/** Typing in a field is not a shortcut (but for the ones with a modifier). */
export function typing(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}
