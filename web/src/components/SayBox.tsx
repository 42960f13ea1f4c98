import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError } from "../api/client";
import { toast } from "./Toasts";

/**
 * Under a running session's log: what the person says reaches the agent at its next turn (Enter), or at once, ending the
 * turn in flight (Interrupt and send). Once the agent has it, it is in the log as the person's turn; until then it is
 * counted here (read again each second only while one waits).
 */
export function SayBox({ workspace, taskId }: { workspace: string; taskId: string }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState("");
  const messages = useQuery({
    queryKey: ["messages", workspace, taskId],
    queryFn: () => api.messages(workspace, taskId),
    refetchInterval: (query) => (query.state.data?.some((m) => !m.deliveredAt) ? 1000 : false),
  });
  const say = useMutation({
    mutationFn: (now: boolean) => api.say(workspace, taskId, text.trim(), now),
    onSuccess: () => { setText(""); void queryClient.invalidateQueries({ queryKey: ["messages", workspace, taskId] }); },
    onError: (e) => toast((e as ApiError).message),
  });
  const waiting = messages.data?.filter((m) => !m.deliveredAt).length ?? 0;
  const send = (now: boolean) => { if (text.trim() && !say.isPending) say.mutate(now); };

  return (
    <form className="say" onSubmit={(e) => { e.preventDefault(); send(false); }}>
      <textarea
        aria-label="Say something to the agent"
        placeholder="Say something to the agent: it hears it at its next turn (Enter sends, Shift+Enter for a new line)"
        rows={2}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) { e.preventDefault(); send(false); } }}
      />
      <div className="say-actions">
        <span className="muted" role="status" data-testid="say-waiting">{waiting > 0 ? `${waiting} waiting for the agent's next turn` : ""}</span>
        <button type="button" className="quiet" disabled={!text.trim() || say.isPending} onClick={() => send(true)} title="End the turn in flight: the agent answers this next">Interrupt and send</button>
        <button type="submit" disabled={!text.trim() || say.isPending}>Send</button>
      </div>
    </form>
  );
}
