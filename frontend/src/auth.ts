// The session's token: from the /#token=<t> sign-in link or the sign-in form, kept in sessionStorage
// (gone when the tab closes), never left in the address bar.

import { Api, ApiError } from "./api/client";

const KEY = "levante.token";

export type Role = "viewer" | "operator" | "admin";
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function can(role: Role | null, needed: Role): boolean {
  return !!role && RANK[role] >= RANK[needed];
}

/** Take a token from the fragment (and strip it), else the one stored for this session. */
export function takeToken(location: Location, history: History, storage: Storage): string | null {
  const match = /(?:^#|&)(?:id_|access_)?token=([^&]+)/.exec(location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    storage.setItem(KEY, token);
    history.replaceState(null, "", `${location.pathname}${location.search}#/`);
    return token;
  }
  return storage.getItem(KEY);
}

export function storeToken(storage: Storage, token: string): void {
  storage.setItem(KEY, token);
}

export function signOut(storage: Storage): void {
  storage.removeItem(KEY);
}

interface WhoAmI {
  role?: string;
  roles?: string[];
}

/**
 * The caller's role. Asks GET /whoami (Levante's addition); should an API lack it (404), it
 * probes: a token that can read is at least a viewer; a PATCH with an invalid body answers 400 (validated
 * after authorization) to an operator and 403 to a viewer. Variables need admin.
 */
export async function detectRole(api: Api): Promise<Role> {
  try {
    const me = await api.get<WhoAmI>("/whoami");
    const role = me.role ?? me.roles?.[0];
    if (role && role in RANK) return role as Role;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) throw err;
  }
  await api.get("/dags", { limit: 1 }); // 401 here means the token is wrong
  if (!(await allowed(api, "PATCH", "/dags/~probe~", { is_paused: "not-a-bool" }))) return "viewer";
  return (await allowed(api, "POST", "/variables", { key: "" })) ? "admin" : "operator";
}

async function allowed(api: Api, method: string, path: string, body: unknown): Promise<boolean> {
  try {
    await api.request(method, path, body);
    return true;
  } catch (err) {
    return !(err instanceof ApiError && (err.status === 403 || err.status === 401));
  }
}
