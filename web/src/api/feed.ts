import { useEffect, useRef } from "react";
import { useQuery } from "@tanstack/react-query";
import { api } from "./client";

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

/**
 * The feed for a page whose reads carry no cursor (projects, a project): the workspace's cursor is taken before the
 * page reads, so a change made while it reads is not missed. Says when the page may read (also when Konduktor could not
 * be asked: the page's own read then says why).
 */
export function useWorkspaceFeed(workspace: string, onChange: () => void): boolean {
  const start = useQuery({
    queryKey: ["feed-cursor", workspace],
    queryFn: ({ signal }) => api.boardChanges(workspace, undefined, 0, signal),
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
  });
  useBoardFeed(workspace, start.data?.cursor, onChange);
  return start.data !== undefined || start.isError;
}
