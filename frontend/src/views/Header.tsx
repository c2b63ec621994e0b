// The top bar: sections, keyboard search, the time zone dates are shown in, role and sign-out.

import type { Role } from "../auth";
import { setTimeZone, timeZone } from "../lib/format";
import type { Route } from "../lib/route";
import { SearchPalette } from "./SearchPalette";

const SECTIONS: [string, string, string][] = [["dags", "#/", "DAGs"], ["assets", "#/assets", "Assets"],
  ["monitoring", "#/monitoring", "Monitoring"],
  ["dead-letters", "#/dead-letters", "Dead letters"], ["admin", "#/admin/variables", "Admin"]];

export function Header({ route, role, onSignOut, onZone }:
  { route: Route; role: Role; onSignOut: () => void; onZone: () => void }) {
  const section = route.path[0] ?? "dags";
  return (
    <header class="topbar">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content</a>
      <a class="brand" href="#/">Levante</a>
      <nav aria-label="Sections">
        {SECTIONS.map(([id, link, label]) => (
          <a key={id} href={link} class={section === id ? "active" : ""} aria-current={section === id ? "page" : undefined}>
            {label}</a>
        ))}
      </nav>
      <span class="spacer" />
      <SearchPalette />
      <ZoneSelect onChange={onZone} />
      <span class="role" data-testid="role" title="The role of your token">role: {role}</span>
      <button type="button" class="link light" onClick={onSignOut}>Sign out</button>
    </header>
  );
}

function zones(): string[] {
  const common = ["UTC", Intl.DateTimeFormat().resolvedOptions().timeZone, "America/New_York", "America/Los_Angeles",
    "Europe/London", "Europe/Paris", "Asia/Kolkata", "Asia/Tokyo", "Australia/Sydney"];
  const supported = (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  return [...new Set([...common, timeZone(), ...supported])];
}

function ZoneSelect({ onChange }: { onChange: () => void }) {
  return (
    <label class="zone small">
      <span class="visually-hidden">Time zone for dates</span>
      <select aria-label="Time zone for dates" data-testid="timezone" value={timeZone()}
        onChange={(e) => { setTimeZone((e.target as HTMLSelectElement).value); onChange(); }}>
        {zones().map((z) => <option key={z} value={z}>{z}</option>)}
      </select>
    </label>
  );
}
