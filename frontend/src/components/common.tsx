// Small shared pieces: loading / error / empty states, state badges and squares, count bars.

import type { ComponentChildren } from "preact";
import { orderedCounts, stateColor, stateLabel, stateTextColor } from "../lib/states";

export function Loading({ what = "Loading" }: { what?: string }) {
  return <div class="muted loading" role="status">{what}…</div>;
}

export function ErrorBox({ error, retry }: { error: Error; retry?: () => void }) {
  return (
    <div class="error-box" role="alert">
      <strong>Something went wrong.</strong> <span>{error.message}</span>
      {retry && <button type="button" class="link" onClick={retry}>Retry</button>}
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <div class="empty muted">{children}</div>;
}

export function StateBadge({ state }: { state: string | null | undefined }) {
  return (
    <span class="state-badge" data-state={state ?? "none"}
      style={{ background: stateColor(state), color: stateTextColor(state) }}>
      {stateLabel(state)}
    </span>
  );
}

export function StateCounts({ counts, title }: { counts?: Record<string, number>; title?: string }) {
  const pairs = orderedCounts(counts);
  if (pairs.length === 0) return <span class="muted">—</span>;
  return (
    <span class="state-counts" title={title}>
      {pairs.map(([state, n]) => (
        <span key={state} class="count-dot" data-state={state} title={`${stateLabel(state)}: ${n}`}
          style={{ background: stateColor(state), color: stateTextColor(state) }}>{n}</span>
      ))}
    </span>
  );
}

export function Toggle({ on, disabled, label, onChange }:
  { on: boolean; disabled?: boolean; label: string; onChange: (on: boolean) => void }) {
  return (
    <button type="button" role="switch" aria-checked={on} aria-label={label} title={label}
      class={`toggle ${on ? "on" : ""}`} disabled={disabled} onClick={() => onChange(!on)}>
      <span class="knob" />
    </button>
  );
}
