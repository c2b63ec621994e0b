// A mapped task in the task panel: how many instances it expanded to, their states, and one row per
// map_index that opens that instance (its tries, log, XComs and actions), as Airflow's "Mapped Tasks" tab.

import type { TaskInstance } from "../api/types";
import { ErrorBox, Loading, StateBadge, StateCounts } from "../components/common";
import { useSession } from "../context";
import { formatDuration } from "../lib/format";
import { useResource } from "../lib/hooks";
import { isTaskActive } from "../lib/states";

const MAX_SHOWN = 1000;

export function MappedInstances({ base, onOpen }: { base: string; onOpen: (mapIndex: number) => void }) {
  const { api } = useSession();
  const list = useResource((signal) => api.get<{ task_instances: TaskInstance[]; total_entries: number }>(
    `${base}/listMapped`, { limit: MAX_SHOWN }, signal), [api, base],
  { pollWhile: (d) => d.task_instances.length === 0 || d.task_instances.some((t) => isTaskActive(t.state)), intervalMs: 2000 });
  if (list.error && !list.data) return <ErrorBox error={list.error} retry={list.reload} />;
  if (!list.data) return <Loading what="Loading the mapped instances" />;
  const { task_instances: instances, total_entries: total } = list.data;
  const counts: Record<string, number> = {};
  for (const t of instances) counts[t.state ?? "none"] = (counts[t.state ?? "none"] ?? 0) + 1;
  if (total === 0) return <p class="muted small" data-testid="mapped-count">Not expanded yet: it maps once its upstream tasks have run.</p>;
  return (
    <section aria-label="Mapped instances">
      <p class="small" data-testid="mapped-count">
        {total} mapped instance{total === 1 ? "" : "s"} <StateCounts counts={counts} title="Mapped instances by state" />
      </p>
      {total > instances.length && <p class="muted small">The first {instances.length} are listed.</p>}
      <div class="table-wrap">
        <table class="table small mapped-instances">
          <thead><tr><th>Map index</th><th>State</th><th>Try</th><th>Duration</th></tr></thead>
          <tbody>
            {instances.map((t) => (
              <tr key={t.map_index} data-map-index={t.map_index}>
                <td><button type="button" class="link" onClick={() => onOpen(t.map_index ?? -1)}>[{t.map_index}]</button></td>
                <td><StateBadge state={t.state} /></td>
                <td>{t.try_number}</td>
                <td>{formatDuration(t.duration)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
