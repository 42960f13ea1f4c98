import type { TaskItem } from "../api/client";

/** The PR's checks and review, as small badges a person can scan across the board. */
export function PullRequestState({ task }: { task: Pick<TaskItem, "checksState" | "reviewState"> }) {
  return (
    <>
      {task.checksState && <span className={`checks ${task.checksState}`} data-testid="checks" title={`Checks ${task.checksState}`}>{checkMarks[task.checksState as keyof typeof checkMarks] ?? ""} checks</span>}
      {task.reviewState && task.reviewState !== "none" && (
        <span className={`review ${task.reviewState}`} data-testid="review">{task.reviewState === "approved" ? "✓ approved" : "✎ changes requested"}</span>
      )}
    </>
  );
}

const checkMarks = { pending: "…", passing: "✓", failing: "✗" } as const;
