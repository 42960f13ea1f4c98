import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import { spendSummary } from "../lib/quota";

/** The workspace's spend over the last 30 days as small bars, with today against its daily budget. */
export function UsageChart({ workspace }: { workspace: string }) {
  // Read again when the board's change feed says something changed (a run ending is a task change).
  const usage = useQuery({ queryKey: ["usage", workspace], queryFn: () => api.usage(workspace, 30) });
  if (!usage.data) return null;
  const { days } = usage.data;
  const peak = Math.max(...days.map((d) => d.costUsd), usage.data.dailyBudgetUsd ?? 0, 0.0001);
  const summary = spendSummary(usage.data);
  const width = 4;
  return (
    <figure className="usage-chart" data-testid="usage-chart" title={summary}>
      <svg role="img" aria-label={`Spend over 30 days: ${summary}`} width={days.length * (width + 1)} height={24} viewBox={`0 0 ${days.length * (width + 1)} 24`}>
        {days.map((d, i) => {
          const h = d.costUsd > 0 ? Math.max(1, Math.round((d.costUsd / peak) * 24)) : 0;
          return <rect key={d.day} x={i * (width + 1)} y={24 - h} width={width} height={h}><title>{`${d.day}: $${d.costUsd.toFixed(2)}, ${d.runs} run(s)`}</title></rect>;
        })}
      </svg>
      <figcaption>{summary}</figcaption>
    </figure>
  );
}
