import { describe, expect, it } from "vitest";
import { moveItem, rankBetween } from "./lib/ranks";
import { href, parseRoute } from "./lib/router";
import { entraConfigFrom } from "./api/auth";
import { Transcript, type Entry } from "./log/transcript";
import { neighbour, place } from "./pages/BoardPage";
import { rank } from "./components/CommandBar";
import { withoutCommand } from "./pages/ProjectsPage";
import { clock, quotaWait, spendSummary } from "./lib/quota";
import { languageOf, reviewMessage } from "./changes/review";
import { changedFields, changedMeanwhile } from "./lib/edits";
import { matches, shortcuts } from "./lib/shortcuts";
import { ago, elapsed, money } from "./lib/format";
import type { Board, LogEntry, SessionOutcome, TaskItem } from "./api/client";


describe("ranks", () => {
  it("puts a card between its neighbours, or past the end", () => {
    expect(rankBetween(10, 20)).toBe(15);
    expect(rankBetween(10, undefined)).toBeGreaterThan(10);
    expect(rankBetween(undefined, 10)).toBeLessThan(10);
  });
  it("moves an item within a list", () => {
    expect(moveItem(["a", "b", "c"], 0, 2)).toEqual(["b", "c", "a"]);
  });
});

describe("entra sign-in settings", () => {
  it("is off without a client and tenant, and defaults the API scope from the client id", () => {
    expect(entraConfigFrom({})).toBeUndefined();
    expect(entraConfigFrom({ VITE_ENTRA_CLIENT_ID: "abc" })).toBeUndefined();
    expect(entraConfigFrom({ VITE_ENTRA_CLIENT_ID: "abc", VITE_ENTRA_TENANT_ID: "t" })).toEqual({ clientId: "abc", tenantId: "t", apiScope: "api://abc/user_impersonation" });
    expect(entraConfigFrom({ VITE_ENTRA_CLIENT_ID: "abc", VITE_ENTRA_TENANT_ID: "t", VITE_API_SCOPE: "api://x/y" })?.apiScope).toBe("api://x/y");
  });
});

describe("routes", () => {
  it("round-trips every page through the hash", () => {
    for (const route of [{ page: "home" as const }, { page: "board" as const, workspace: "my app" }, { page: "board" as const, workspace: "w", task: "d8033" }, { page: "config" as const, workspace: "w" }, { page: "projects" as const, workspace: "w" }, { page: "projects" as const, workspace: "w", project: "1a2b3c4d" },
      { page: "questions" as const, workspace: "w" }, { page: "docs" as const, workspace: "w" }, { page: "docs" as const, workspace: "w", doc: "release-plan" },
      { page: "agents" as const, workspace: "w" }, { page: "agents" as const, workspace: "w", agent: "pr-reviewer" }]) {
      expect(parseRoute(href(route))).toEqual(route);
    }
  });
});

// The entries the server makes of a session's log (core's LogEntries reads the stream-json; ClaudeStreamTests holds it
// to the same lines): the board only assembles them.
const at = "2026-01-01T00:00:00Z";
const entry = (seq: number, kind: LogEntry["kind"], fields: Partial<LogEntry> = {}): LogEntry => ({ seq, time: at, kind, ...fields });
const outcome = (fields: Partial<SessionOutcome>): SessionOutcome =>
  ({ subtype: "success", isError: false, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, succeeded: true, ...fields });

describe("transcript", () => {
  it("shows text, tool calls with their results, stderr and the outcome", () => {
    const entries = new Transcript().add([
      entry(1, "note", { text: "runner started" }),
      entry(2, "init", { conversation: "abc", model: "m" }),
      entry(3, "text", { role: "assistant", text: "Hello" }),
      entry(3, "toolUse", { tool: "Bash", toolId: "t1", text: JSON.stringify({ command: "ls" }), gist: "ls" }),
      entry(4, "toolResult", { toolId: "t1", text: "a\nb", isError: true }),
      entry(5, "stderr", { text: "boom" }),
      entry(6, "result", { outcome: outcome({ isError: true, succeeded: false, numTurns: 2, conversationCostUsd: 0.5 }) }),
      entry(7, "raw", { text: "not json" }),
    ]).entries;
    expect(entries.map((e) => e.kind)).toEqual(["note", "init", "text", "tool", "stderr", "result", "raw"]);
    const tool = entries[3] as Extract<typeof entries[number], { kind: "tool" }>;
    expect(tool.output).toBe("a\nb");
    expect(tool.isError).toBe(true);
    expect(tool.input).toBe(JSON.stringify({ command: "ls" }, null, 2));
    expect((entries[5] as Extract<typeof entries[number], { kind: "result" }>).ok).toBe(false);
  });
});

describe("a person's turns", () => {
  it("keep who said what, when and how, an interruption included", () => {
    const entries = new Transcript().add([
      entry(1, "person", { text: "Your task: fix it", from: "ada", via: "prompt", sentAt: "2026-12-07T10:00:00Z" }),
      entry(2, "person", { text: "Stop and look at the tests", from: "ada", via: "say", now: true }),
      entry(3, "person", { text: "Blue", via: "answer" }),
    ]).entries;
    expect(entries).toEqual([
      { kind: "person", seq: 1, text: "Your task: fix it", from: "ada", via: "prompt", sentAt: "2026-12-07T10:00:00Z", now: false },
      { kind: "person", seq: 2, text: "Stop and look at the tests", from: "ada", via: "say", sentAt: undefined, now: true },
      { kind: "person", seq: 3, text: "Blue", from: "a person", via: "answer", sentAt: undefined, now: false },
    ]);
  });
});

describe("a transcript read in pages", () => {
  it("attaches a tool's result that arrives in a later page to its call, and reads each entry once", () => {
    const read = [
      entry(1, "toolUse", { tool: "Read", toolId: "t1", text: JSON.stringify({ file: "a" }) }),
      entry(2, "stderr", { text: "reading" }),
      entry(3, "toolResult", { toolId: "t1", text: "contents", isError: false }),
      entry(4, "result", { outcome: outcome({ numTurns: 1 }) }),
    ];
    const paged = new Transcript().add(read.slice(0, 2));
    expect(paged.entries.map((e) => e.kind)).toEqual(["tool", "stderr"]);
    paged.add(read.slice(2));
    expect(paged.entries).toEqual(new Transcript().add(read).entries);
    expect((paged.entries[0] as Extract<Entry, { kind: "tool" }>).output).toBe("contents");
  });
});

describe("setup output", () => {
  it("gathers the setup script's lines into one block between Konduktor's notes", () => {
    const entries = new Transcript().add([
      entry(1, "note", { text: "running .konduktor/setup" }),
      entry(2, "setup", { text: "installing" }),
      entry(3, "setup", { text: "done installing" }),
      entry(4, "note", { text: ".konduktor/setup done" }),
    ]).entries;
    expect(entries.map((e) => e.kind)).toEqual(["note", "setup", "note"]);
    expect((entries[1] as Extract<typeof entries[number], { kind: "setup" }>).lines).toEqual(["installing", "done installing"]);
  });
});

describe("transcript of the real Claude Code's events", () => {
  it("shows refused tool calls, retries, git changes, usage limits and unknown events, and a run's own cost", () => {
    const entries = new Transcript().add([
      entry(1, "notice", { notice: "permissionDenied", text: "Bash: needs approval" }),
      entry(2, "notice", { notice: "apiRetry", text: "attempt 2/10 in 1.5 s after 529 overloaded" }),
      entry(3, "notice", { notice: "git", text: "push konduktor/abc" }),
      entry(4, "rateLimit", { status: "allowed_warning", window: "five_hour", resetsAt: "2030-03-17T17:46:40Z" }),
      entry(5, "notice", { text: "something_new/later" }),
      entry(6, "result", { outcome: outcome({ costUsd: 0.15, conversationCostUsd: 0.9, result: "done", permissionDenials: [{ tool: "Bash" }] }) }),
      entry(7, "result", { outcome: outcome({ subtype: "error_max_turns", isError: true, succeeded: false, conversationCostUsd: 0.2, errors: ["Reached maximum number of turns (1)"], reason: "Reached maximum number of turns (1)" }) }),
      entry(8, "text", { role: "user", text: "said to the agent" }),
    ]).entries;
    const notices = entries.filter((e) => e.kind === "notice") as Extract<typeof entries[number], { kind: "notice" }>[];
    expect(notices.map((n) => n.tone)).toEqual(["denied", "retry", "git", "limit", "other"]);
    expect(notices[0]?.text).toBe("Permission denied: Bash: needs approval");
    expect(notices[1]?.text).toContain("2/10 in 1.5 s after 529 overloaded");
    expect(notices[3]?.text).toMatch(/^Usage limit allowed warning \(five hour\), resets /);
    expect(notices[4]?.text).toBe("something_new/later");
    const [ok, failed] = entries.filter((e) => e.kind === "result") as Extract<typeof entries[number], { kind: "result" }>[];
    expect(ok?.costUsd).toBeCloseTo(0.15);
    expect(ok?.denied).toBe(1);
    expect(failed?.ok).toBe(false);
    expect(failed?.costUsd).toBe(0.2);
    expect(failed?.text).toBe("Reached maximum number of turns (1)");
    expect(entries.some((e) => e.kind === "text")).toBe(false);
  });
});

describe("optimistic move", () => {
  it("moves the card to its new column in rank order and leaves the others alone", () => {
    const task = (id: string, status: string, rank: number) => ({ id, status, rank, title: id }) as unknown as TaskItem;
    const board: Board = { workspaceId: "w", workspaceName: "w", columns: [
      { name: "To do", tasks: [task("a", "To do", 1), task("b", "To do", 2)] },
      { name: "Done", tasks: [task("c", "Done", 1), task("d", "Done", 3)] },
    ] };
    const moved = place(board, board.columns[0]!.tasks[0]!, "Done", 2);
    expect(moved.columns[0]!.tasks.map((t) => t.id)).toEqual(["b"]);
    expect(moved.columns[1]!.tasks.map((t) => t.id)).toEqual(["c", "a", "d"]);
  });
});

describe("quota", () => {
  const now = new Date("2026-12-02T10:00:00Z");
  it("says when a waiting task resumes, or that a person resumes it", () => {
    expect(quotaWait({ resumesAt: "2026-12-02T14:05:00Z" }, now)).toMatch(/^resumes at \d\d:\d\d/);
    expect(quotaWait({ quotaResetsAt: "2026-12-02T14:05:00Z" }, now)).toMatch(/resume by hand$/);
    expect(quotaWait({}, now)).toBeUndefined();
  });

  it("gives the date only for another day", () => {
    expect(clock("2026-12-02T14:05:00Z", now)).not.toMatch(/Dec/);
    expect(clock("2026-12-05T14:05:00Z", now)).toMatch(/Dec/);
  });
});

describe("spend", () => {
  it("sums the days and sets today against the daily budget", () => {
    expect(spendSummary({ days: [{ costUsd: 1 }, { costUsd: 0.5 }], dailyBudgetUsd: 20 })).toBe("$0.50 today of $20.00 · $1.50 in 2 days");
    expect(spendSummary({ days: [] })).toBe("$0.00 today · $0.00 in 0 days");
  });
});

describe("review", () => {
  it("gathers comments into one message, each with where it is and the lines it is about", () => {
    const message = reviewMessage([
      { path: "src/app.py", from: 3, to: 3, removed: false, quoted: ["print('hello')"], text: "Say goodbye too." },
      { path: "README.md", from: 1, to: 2, removed: true, quoted: ["# Old", ""], text: "Keep the title." },
    ]);
    expect(message).toContain("Review comments on your changes (2)");
    expect(message).toContain("1. src/app.py:3\n   > print('hello')\n   Say goodbye too.");
    expect(message).toContain("2. README.md:1-2 (removed)");
  });

  it("knows a language by its extension, and none without one", () => {
    expect(languageOf("web/src/App.tsx")).toBe("tsx");
    expect(languageOf("Makefile")).toBeUndefined();
  });
});

describe("edits", () => {
  const read = { title: "Fix it", description: "d", tags: "a, b", priority: "low" as const, status: "To do" };
  it("sends only what the person changed", () => {
    expect(changedFields(read, { ...read, title: "Fix it now", tags: "a,b" })).toEqual({ title: "Fix it now" });
    expect(changedFields(read, read)).toEqual({});
  });

  it("says what someone else changed meanwhile", () => {
    expect(changedMeanwhile(read, { ...read, status: "In progress" })).toEqual(["the column: now “In progress” (was “To do”)"]);
  });
});

describe("shortcuts", () => {
  const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
  it("match only with the declared modifiers, Mod being Ctrl off macOS and ⌘ on it", () => {
    expect(matches(key("r", { ctrlKey: true }), shortcuts.run, false)).toBe(true);
    expect(matches(key("r", { metaKey: true }), shortcuts.run, true)).toBe(true);
    expect(matches(key("r", { ctrlKey: true, shiftKey: true }), shortcuts.run, false)).toBe(false);
    expect(matches(key("r"), shortcuts.run, false)).toBe(false);
    expect(matches(key("?", { shiftKey: true }), shortcuts.help, false)).toBe(true);
    expect(matches(key("Enter", { ctrlKey: true, shiftKey: true }), shortcuts.createAndRun, false)).toBe(true);
  });
});

describe("one voice with the CLI (the same cases as OneVoiceTests.cs)", () => {
  const now = new Date("2026-12-07T14:00:00Z");
  const at = (seconds: number) => new Date(now.getTime() + seconds * 1000);
  it("says a moment relative to now", () => {
    const cases: [number, string][] = [[-20, "just now"], [-59, "just now"], [-60, "1 min ago"], [-270, "4 min ago"], [-3 * 3600, "3 h ago"],
      [-30 * 3600, "yesterday"], [-5 * 86400, "5 days ago"], [-40 * 86400, "2026-10-28"], [12 * 60, "in 12 min"], [2 * 3600 + 5, "in 2 h"]];
    for (const [seconds, said] of cases) expect(ago(at(seconds), now)).toBe(said);
  });
  it("says money in cents from a dollar and up to four decimals below", () => {
    const cases: [number | undefined, string][] = [[undefined, "-"], [0, "$0.00"], [0.0016, "$0.0016"], [0.5, "$0.50"], [0.12345, "$0.1235"], [1, "$1.00"], [12.404, "$12.40"]];
    for (const [usd, said] of cases) expect(money(usd)).toBe(said);
  });
  it("says how long something has run", () => {
    expect(elapsed(at(-42), now)).toBe("42 s");
    expect(elapsed(at(-245), now)).toBe("4 min 05 s");
    expect(elapsed(at(-3780), now)).toBe("1 h 03 min");
  });
});

describe("finding and moving between tasks", () => {
  it("ranks a task whose title is exactly what was typed above creating one, and creating above other matches", () => {
    const exact = rank("3f2a9c1b Fix the login", "fix the login ", ["fix the login"]);
    const create = rank("create task fix the login", "fix the login", undefined);
    const partial = rank("77aa00bb Fix the login page styles", "fix the login", ["fix the login page styles"]);
    expect(exact).toBeGreaterThan(create);
    expect(create).toBeGreaterThan(partial);
    expect(rank("go docs", "zzzz", undefined)).toBe(0);
  });
  it("moves the focus within a column, across columns to the nearest place, and starts at the first card", () => {
    const columns = [{ tasks: [{ id: "a" }, { id: "b" }] }, { tasks: [] }, { tasks: [{ id: "c" }] }];
    expect(neighbour(columns, undefined, [0, 1])).toBe("a");
    expect(neighbour(columns, "a", [0, 1])).toBe("b");
    expect(neighbour(columns, "b", [0, 1])).toBe("b");
    expect(neighbour(columns, "b", [1, 0])).toBe("c");
    expect(neighbour(columns, "c", [-1, 0])).toBe("a");
    expect(neighbour(columns, "c", [1, 0])).toBe("c");
  });
});

describe("the project page's words", () => {
  it("leaves out the CLI command the API suggests, since the page has the button", () => {
    expect(withoutCommand("phase 1 (Words) awaits review: `konduktor projects approve 57e68991`")).toBe("phase 1 (Words) awaits review");
    expect(withoutCommand("phase 2 (UI) has unfinished tasks: 411118ee (To do)")).toBe("phase 2 (UI) has unfinished tasks: 411118ee (To do)");
  });
});
