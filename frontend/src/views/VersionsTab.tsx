// The DAG's versions (a new one each time its file or parsed structure changed, from the bundle that
// carried it), newest first, and the code of the one picked: Airflow 3's version picker, as a table.

import { seg } from "../api/client";
import { Empty, ErrorBox, Loading } from "../components/common";
import { useSession } from "../context";
import { formatDateZ } from "../lib/format";
import { useResource } from "../lib/hooks";
import { CodeTab } from "./CodeTab";

interface DagVersion {
  version_number: number;
  created_at: string | null;
  bundle_version: string | null;
  fileloc: string | null;
  task_count: number;
  source_hash: string;
  is_current: boolean;
}

export function VersionsTab({ dagId, version, onPick }:
  { dagId: string; version?: number; onPick: (n: number) => void }) {
  const { api } = useSession();
  const versions = useResource((signal) => api.get<{ dag_versions: DagVersion[]; total_entries: number }>(
    `/dags/${seg(dagId)}/versions`, {}, signal), [api, dagId], { pollWhile: () => true, intervalMs: 10_000 });
  if (versions.error && !versions.data) return <ErrorBox error={versions.error} retry={versions.reload} />;
  if (!versions.data) return <Loading what="Loading the versions" />;
  const rows = versions.data.dag_versions;
  if (rows.length === 0) return <Empty>No versions stored yet.</Empty>;
  const shown = version ?? rows[0].version_number;
  return (
    <div class="versions">
      <div class="table-wrap">
        <table class="table small dag-versions">
          <thead><tr><th>Version</th><th>Created</th><th>Bundle version</th><th>File</th><th>Tasks</th><th>Code</th></tr></thead>
          <tbody>
            {rows.map((v) => (
              <tr key={v.version_number} data-version={v.version_number} class={v.version_number === shown ? "selected" : ""}>
                <td>v{v.version_number}{v.is_current && <span class="tag">current</span>}</td>
                <td>{formatDateZ(v.created_at)}</td>
                <td><code title={v.bundle_version ?? ""}>{v.bundle_version ? v.bundle_version.slice(0, 12) : "—"}</code></td>
                <td>{v.fileloc ?? "—"}</td>
                <td>{v.task_count}</td>
                <td>
                  <button type="button" class="link" aria-pressed={v.version_number === shown}
                    onClick={() => onPick(v.version_number)}>view v{v.version_number}</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Code of v{shown}</h3>
      <CodeTab dagId={dagId} version={shown} key={shown} />
    </div>
  );
}
