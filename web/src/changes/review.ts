// Review comments on an agent's changes, gathered into the one message that resumes its conversation.

export interface ReviewComment {
  /** The file the comment is on (its new path; the old one for a deleted file). */
  path: string;
  /** First and last line commented on, in the new file (or the old one for removed lines). */
  from: number;
  to: number;
  removed: boolean;
  /** The lines commented on, as they are in the diff. */
  quoted: string[];
  text: string;
}

/** "src/app.py:3" or "src/app.py:3-5", "(removed)" for lines the change took out. */
export function where(c: Pick<ReviewComment, "path" | "from" | "to" | "removed">): string {
  return `${c.path}:${c.from === c.to ? c.from : `${c.from}-${c.to}`}${c.removed ? " (removed)" : ""}`;
}

/** The message a resume carries: every comment numbered, with where it is and the lines it is about quoted. */
export function reviewMessage(comments: ReviewComment[], note?: string): string {
  const parts = [`Review comments on your changes (${comments.length}); address each, then commit and push:`];
  comments.forEach((c, i) => {
    const quoted = c.quoted.slice(0, 20).map((line) => `   > ${line}`).join("\n");
    parts.push(`${i + 1}. ${where(c)}\n${quoted}${c.quoted.length > 20 ? "\n   > …" : ""}\n   ${c.text.trim().replace(/\n/g, "\n   ")}`);
  });
  if (note?.trim()) parts.push(note.trim());
  return parts.join("\n\n");
}

/** The refractor language for a path, by its extension; undefined when there is none to highlight with. */
export function languageOf(path: string): string | undefined {
  const extension = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  const byExtension: Record<string, string> = {
    ts: "typescript", tsx: "tsx", js: "javascript", jsx: "jsx", mjs: "javascript", cjs: "javascript", json: "json",
    py: "python", cs: "csharp", go: "go", rs: "rust", java: "java", kt: "kotlin", rb: "ruby", php: "php", c: "c", h: "c",
    cpp: "cpp", hpp: "cpp", css: "css", scss: "scss", html: "markup", xml: "markup", svg: "markup", md: "markdown",
    sh: "bash", bash: "bash", yml: "yaml", yaml: "yaml", sql: "sql", swift: "swift", lua: "lua", graphql: "graphql",
  };
  return path.includes(".") ? byExtension[extension] : undefined;
}
