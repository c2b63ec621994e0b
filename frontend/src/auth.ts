// The session's token. It comes from the /#token=<t> sign-in link or the sign-in form and is never left in
// the address bar. Where it is kept decides how far it reaches:
//  - this tab: sessionStorage (gone when the tab closes);
//  - other open tabs of this origin: they ask over a BroadcastChannel and an open tab answers, so a
//    ctrl-clicked or pasted deep link works without writing the token anywhere new;
//  - this device: localStorage, only when the person ticks "remember on this device".
// Signing out clears all three and tells every tab.

import { Api, ApiError } from "./api/client";

const KEY = "levante.token";
const ROLE_KEY = "levante.role";
const CHANNEL = "levante.session";

export type Role = "viewer" | "operator" | "admin";
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function can(role: Role | null, needed: Role): boolean {
  return !!role && RANK[role] >= RANK[needed];
}

export interface Stores {
  session: Storage;
  device: Storage;
}

/** A token in the fragment (`#token=`, or Cognito's `#id_token=`), stripped from the address bar. */
export function tokenFromLink(location: Location, history: History): string | null {
  const match = /(?:^#|&)(?:id_|access_)?token=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, "", `${location.pathname}${location.search}#/`);
  return decodeURIComponent(match[1]);
}

/** The link's token (stored for this tab), else the one this tab or this device already holds. */
export function takeToken(location: Location, history: History, stores: Stores): string | null {
  const linked = tokenFromLink(location, history);
  if (linked) {
    storeToken(stores, linked, false);
    return linked;
  }
  return stores.session.getItem(KEY) ?? stores.device.getItem(KEY);
}

export function storeToken(stores: Stores, token: string, remember: boolean): void {
  if (stores.session.getItem(KEY) !== token) stores.session.removeItem(ROLE_KEY);
  stores.session.setItem(KEY, token);
  if (remember) stores.device.setItem(KEY, token);
}

export function isRemembered(stores: Stores): boolean {
  return stores.device.getItem(KEY) !== null;
}

export function forgetToken(stores: Stores): void {
  stores.session.removeItem(ROLE_KEY);
  stores.session.removeItem(KEY);
  stores.device.removeItem(KEY);
}

/**
 * The role this tab last saw for its token, so a reload or a navigation renders at once instead of waiting
 * for GET /whoami (which still runs and corrects it). Only a hint for what to show: the API authorizes
 * every request itself. Kept for this tab and this token only (storeToken drops it when the token changes).
 */
export function knownRole(stores: Stores, token: string | null | undefined): Role | null {
  const role = token && stores.session.getItem(KEY) === token ? stores.session.getItem(ROLE_KEY) : null;
  return role && role in RANK ? (role as Role) : null;
}

export function rememberRole(stores: Stores, token: string, role: Role): void {
  if (stores.session.getItem(KEY) === token) stores.session.setItem(ROLE_KEY, role);
}

type Message = { type: "ask" } | { type: "token"; token: string } | { type: "signout" };

/**
 * The tab's link to its siblings: answers their requests for the token while signed in, and reports a
 * sign-out made in another tab. `close()` when the app unmounts.
 */
export class SessionChannel {
  private channel: BroadcastChannel | null;

  constructor(private current: () => string | null, private onSignOut: () => void) {
    this.channel = typeof BroadcastChannel === "undefined" ? null : new BroadcastChannel(CHANNEL);
    this.channel?.addEventListener("message", (event: MessageEvent<Message>) => {
      const token = this.current();
      if (event.data?.type === "ask" && token) this.channel?.postMessage({ type: "token", token });
      if (event.data?.type === "signout") this.onSignOut();
    });
  }

  signOut(): void {
    this.channel?.postMessage({ type: "signout" });
  }

  close(): void {
    this.channel?.close();
  }
}

/** Ask the other open tabs for their token; null when none answers within `waitMs`. */
export function askOtherTabs(waitMs = 250): Promise<string | null> {
  if (typeof BroadcastChannel === "undefined") return Promise.resolve(null);
  return new Promise((resolve) => {
    const channel = new BroadcastChannel(CHANNEL);
    const done = (token: string | null) => {
      window.clearTimeout(timer);
      channel.close();
      resolve(token);
    };
    const timer = window.setTimeout(() => done(null), waitMs);
    channel.addEventListener("message", (event: MessageEvent<Message>) => {
      if (event.data?.type === "token") done(event.data.token);
    });
    channel.postMessage({ type: "ask" });
  });
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
