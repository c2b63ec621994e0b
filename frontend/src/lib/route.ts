// Hash routes (#/dags/<id>?tab=grid): the static host serves one index.html, deep links still work.

export interface Route {
  path: string[]; // decoded segments: ["dags", "my_dag"]
  query: Record<string, string>;
}

export function parseHash(hash: string): Route {
  const body = hash.replace(/^#/, "");
  const [pathPart, queryPart = ""] = body.split("?", 2);
  const path = pathPart.split("/").filter(Boolean).map(decodeURIComponent);
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  return { path, query };
}

export function href(path: string[], query: Record<string, string | number | undefined | null> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const qs = params.toString();
  return `#/${path.map(encodeURIComponent).join("/")}${qs ? `?${qs}` : ""}`;
}

export function navigate(path: string[], query: Record<string, string | number | undefined | null> = {}): void {
  window.location.hash = href(path, query);
}
