import { useState } from "preact/hooks";
import type { ImportError } from "../api/types";
import { useSession } from "../context";
import { formatDate } from "../lib/format";
import { useResource } from "../lib/hooks";

export function ImportErrorsBanner() {
  const { api } = useSession();
  const [open, setOpen] = useState(false);
  const errors = useResource((signal) =>
    api.get<{ import_errors: ImportError[]; total_entries: number }>("/importErrors", { limit: 100 }, signal), [api]);
  const list = errors.data?.import_errors ?? [];
  if (list.length === 0) return null;
  return (
    <div class="banner warning" role="alert">
      <button type="button" class="link" onClick={() => setOpen(!open)} aria-expanded={open}>
        {errors.data?.total_entries ?? list.length} DAG file(s) failed to import {open ? "▾" : "▸"}
      </button>
      {open && list.map((e) => (
        <details key={e.filename} class="import-error" open={list.length === 1}>
          <summary><code>{e.filename}</code> <span class="muted small">{formatDate(e.timestamp)}</span></summary>
          <pre class="trace" tabIndex={0}>{e.stack_trace}</pre>
        </details>
      ))}
    </div>
  );
}
