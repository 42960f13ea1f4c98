import { useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError, type Question } from "../api/client";
import { href } from "../lib/router";
import { toast } from "../components/Toasts";
import { Time } from "../components/Time";

/** Questions agents asked: open ones first, answered inline; an answer to a task's session resumes it. */
export function QuestionsPage({ workspace }: { workspace: string }) {
  const questions = useQuery({ queryKey: ["questions", workspace], queryFn: () => api.questions(workspace), refetchInterval: 3000 });
  if (questions.error) return <p role="alert" className="error">{(questions.error as ApiError).message}</p>;
  const open = questions.data?.filter((q) => q.status === "open") ?? [];
  const closed = questions.data?.filter((q) => q.status !== "open") ?? [];
  return (
    <section className="questions">
      <div className="page-head"><h1>Questions <span className="count">{open.length} open</span></h1></div>
      {questions.data && open.length === 0 && <p className="muted">No open questions.</p>}
      <ul className="question-list">
        {open.map((q) => <QuestionItem key={q.id} workspace={workspace} question={q} />)}
      </ul>
      {closed.length > 0 && (
        <details>
          <summary>Answered and closed ({closed.length})</summary>
          <ul className="question-list">{closed.map((q) => <QuestionItem key={q.id} workspace={workspace} question={q} />)}</ul>
        </details>
      )}
    </section>
  );
}

function QuestionItem({ workspace, question: q }: { workspace: string; question: Question }) {
  const queryClient = useQueryClient();
  const [answer, setAnswer] = useState("");
  const done = (updated: Question) => {
    queryClient.setQueryData<Question[]>(["questions", workspace], (list) => list?.map((x) => (x.id === updated.id ? updated : x)));
    setAnswer("");
    toast(updated.resumeSessionId ? "Answered; the task resumes with your answer." : updated.resumeNote ?? "Done.", "info");
  };
  const fail = (e: unknown) => toast((e as ApiError).message);
  const send = useMutation({ mutationFn: (resume?: boolean) => api.answer(workspace, q.shortId, answer.trim(), resume), onSuccess: done, onError: fail });
  const confirm = useMutation({ mutationFn: () => api.confirm(workspace, q.shortId), onSuccess: done, onError: fail });
  const dismiss = useMutation({ mutationFn: () => api.dismiss(workspace, q.shortId), onSuccess: done, onError: fail });
  const canResume = q.taskId !== undefined;
  return (
    <li className={`question ${q.status}`} data-testid={`question-${q.shortId}`}>
      <p className="question-text">{q.text}</p>
      {q.assumption && <p className="assumption">Assumed: {q.assumption}</p>}
      <p className="muted">
        {q.status}{q.assumption && q.status === "open" ? " (non-blocking)" : ""} · asked by {q.askedBy} <Time at={q.askedAt} />
        {q.taskId && <> · about <a href={href({ page: "board", workspace, task: q.taskId.slice(0, 8) })}>task {q.taskId.slice(0, 8)}</a></>}
      </p>
      {q.answer && <p className="answer">Answer ({q.answeredBy}): {q.answer}</p>}
      {q.resumeNote && <p className="muted">{q.resumeNote}</p>}
      {q.status === "open" && (
        <form onSubmit={(e) => { e.preventDefault(); if (answer.trim()) send.mutate(canResume ? true : undefined); }}>
          <textarea aria-label={`Answer to ${q.shortId}`} placeholder={q.assumption ? "Correct the assumption…" : "Your answer…"} value={answer} onChange={(e) => setAnswer(e.target.value)} rows={2} />
          <div className="actions">
            <button type="submit" disabled={!answer.trim() || send.isPending}>{canResume ? "Answer & resume" : "Answer"}</button>
            {canResume && <button type="button" disabled={!answer.trim() || send.isPending} onClick={() => send.mutate(false)}>Answer only</button>}
            {q.assumption && <button type="button" onClick={() => confirm.mutate()}>Confirm assumption</button>}
            <button type="button" className="secondary" onClick={() => dismiss.mutate()}>Dismiss</button>
          </div>
        </form>
      )}
    </li>
  );
}
