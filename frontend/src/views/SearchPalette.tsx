// Keyboard search over DAGs and, on a DAG's page, its tasks: `/` or Ctrl-K (⌘K) opens it anywhere.

import { useEffect, useState } from "preact/hooks";
import { seg } from "../api/client";
import type { DagCollection, DagDetail } from "../api/types";
import { Dialog } from "../components/Dialog";
import { useSession } from "../context";
import { href, parseHash } from "../lib/route";

interface Hit { label: string; detail: string; link: string }

function typingIn(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
}

export function SearchPalette() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.key === "k" && (e.ctrlKey || e.metaKey)) || (e.key === "/" && !typingIn(e.target))) {
        e.preventDefault();
        setOpen(true);
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);
  return (
    <>
      <button type="button" class="search-open" aria-keyshortcuts="Control+K /" onClick={() => setOpen(true)}>
        Search <kbd>/</kbd></button>
      {open && <Palette onClose={() => setOpen(false)} />}
    </>
  );
}

function Palette({ onClose }: { onClose: () => void }) {
  const { api } = useSession();
  const [text, setText] = useState("");
  const [hits, setHits] = useState<Hit[]>([]);
  const [active, setActive] = useState(0);
  const dagId = (() => {
    const route = parseHash(window.location.hash);
    return route.path[0] === "dags" ? route.path[1] : undefined;
  })();

  useEffect(() => {
    const controller = new AbortController();
    const id = window.setTimeout(async () => {
      const needle = text.trim().toLowerCase();
      const found: Hit[] = [];
      if (dagId && needle) {
        const dag = await api.get<DagDetail>(`/dags/${seg(dagId)}`, {}, controller.signal).catch(() => null);
        for (const t of dag?.tasks ?? []) {
          if (t.task_id.toLowerCase().includes(needle)) {
            found.push({ label: t.task_id, detail: `task of ${dagId}`, link: href(["dags", dagId], { tab: "grid", task: t.task_id }) });
          }
        }
      }
      const dags = await api.get<DagCollection>("/dags", { search: needle, limit: 10 }, controller.signal).catch(() => null);
      for (const d of dags?.dags ?? []) found.push({ label: d.dag_id, detail: d.description ?? "DAG", link: href(["dags", d.dag_id]) });
      if (!controller.signal.aborted) {
        setHits(found.slice(0, 12));
        setActive(0);
      }
    }, 150);
    return () => {
      controller.abort();
      window.clearTimeout(id);
    };
  }, [api, text, dagId]);

  const go = (hit: Hit | undefined) => {
    if (!hit) return;
    onClose();
    window.location.hash = hit.link;
  };
  return (
    <Dialog title="Search DAGs and tasks" onClose={onClose} className="palette">
      <input type="text" autofocus aria-label="Search DAGs and tasks" list={undefined} placeholder="dag or task id…" value={text}
        role="combobox" aria-expanded={hits.length > 0} aria-controls="palette-results"
        aria-activedescendant={hits.length ? `hit-${active}` : undefined}
        onInput={(e) => setText((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") { e.preventDefault(); setActive((a) => Math.min(hits.length - 1, a + 1)); }
          if (e.key === "ArrowUp") { e.preventDefault(); setActive((a) => Math.max(0, a - 1)); }
          if (e.key === "Enter") { e.preventDefault(); go(hits[active]); }
        }} />
      <ul id="palette-results" role="listbox" aria-label="Results" class="palette-results">
        {hits.map((h, i) => (
          <li key={h.link} id={`hit-${i}`} role="option" aria-selected={i === active} class={i === active ? "active" : ""}
            onClick={() => go(h)}>
            <strong>{h.label}</strong> <span class="muted small">{h.detail}</span>
          </li>
        ))}
      </ul>
    </Dialog>
  );
}
