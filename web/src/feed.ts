import { useEffect, useRef } from "react";
import { api } from "./api";

/**
 * Follows a workspace's change feed (a long poll: the server answers when a task changes, or after 50 s): the board
 * reads itself again only when something changed, instead of every few seconds.
 */
export function useBoardFeed(workspace: string, boardCursor: string | undefined, onChange: () => void) {
  const latest = useRef(onChange);
  latest.current = onChange;
  const from = useRef(boardCursor);
  from.current ??= boardCursor;
  const following = boardCursor !== undefined;
  useEffect(() => {
    if (!following) return;
    const abort = new AbortController();
    void (async () => {
      // From where the board was when it was read: a change made meanwhile is answered at once.
      let cursor = from.current;
      while (!abort.signal.aborted) {
        try {
          const answer = await api.boardChanges(workspace, cursor, 50, abort.signal);
          if (answer.changed) latest.current();
          cursor = answer.cursor;
        } catch {
          if (abort.signal.aborted) return;
          await new Promise((resolve) => setTimeout(resolve, 5000)); // Konduktor unreachable: look again soon
        }
      }
    })();
    return () => abort.abort();
  }, [workspace, following]);
}
