import hljs from "highlight.js/lib/core";
import python from "highlight.js/lib/languages/python";
import { describe, expect, it } from "vitest";
import { forgetToken, isRemembered, knownRole, rememberRole, storeToken, takeToken } from "../auth";
import { formatDuration } from "./format";
import { highlightedLines } from "./highlight";
import { parseHash, href } from "./route";
import { scheduleText } from "./schedule";

hljs.registerLanguage("python", python);

describe("schedule text", () => {
  it("shows the API's description, else the expression as written", () => {
    expect(scheduleText("0 0 * * *", "At 00:00 (UTC)")).toBe("At 00:00 (UTC)");
    expect(scheduleText("0 0 * * *")).toBe("0 0 * * *");
    expect(scheduleText(null)).toMatch(/manual/);
    expect(scheduleText("@once")).toBe("Once");
  });
});

describe("highlightedLines", () => {
  it("keeps code as text pieces, markup in the source included", () => {
    const lines = highlightedLines(hljs, 'x = "<script>alert(1)</script>"\nimport os');
    expect(lines).toHaveLength(2);
    expect(lines[0].map(([, t]) => t).join("")).toBe('x = "<script>alert(1)</script>"');
    expect(lines[1].some(([cls, t]) => cls?.includes("hljs-keyword") && t === "import")).toBe(true);
  });
});

function memoryStorage(): Storage {
  const stored: Record<string, string> = {};
  return { getItem: (k: string) => stored[k] ?? null, setItem: (k: string, v: string) => { stored[k] = v; },
    removeItem: (k: string) => { delete stored[k]; } } as Storage;
}

describe("routes and tokens", () => {
  it("round-trips hash routes", () => {
    expect(parseHash(href(["dags", "a/b c"], { tab: "grid", empty: "" }))).toEqual({ path: ["dags", "a/b c"], query: { tab: "grid" } });
  });

  it("takes the token from the sign-in link, strips it, and keeps it for this tab only", () => {
    const stores = { session: memoryStorage(), device: memoryStorage() };
    let replaced = "";
    const history = { replaceState: (_: unknown, __: string, url: string) => { replaced = url; } } as History;
    const token = takeToken({ hash: "#token=abc%2Bdef", pathname: "/", search: "" } as Location, history, stores);
    expect(token).toBe("abc+def");
    expect(replaced).toBe("/#/");
    expect(takeToken({ hash: "#/", pathname: "/", search: "" } as Location, history, stores)).toBe("abc+def");
    expect(isRemembered(stores)).toBe(false);
    storeToken(stores, "remembered-token", true);
    expect(stores.device.getItem("levante.token")).toBe("remembered-token");
    forgetToken(stores);
    expect(takeToken({ hash: "#/", pathname: "/", search: "" } as Location, history, stores)).toBeNull();
  });

  it("keeps the role seen for this tab's token only, so a reload renders without waiting for /whoami", () => {
    const stores = { session: memoryStorage(), device: memoryStorage() };
    storeToken(stores, "token-a", false);
    expect(knownRole(stores, "token-a")).toBeNull();
    rememberRole(stores, "token-a", "operator");
    expect(knownRole(stores, "token-a")).toBe("operator");
    expect(knownRole(stores, "token-b")).toBeNull();
    storeToken(stores, "token-b", false); // another token: its role is not known yet
    expect(knownRole(stores, "token-b")).toBeNull();
    rememberRole(stores, "token-a", "admin"); // a late answer for the old token is not kept
    expect(knownRole(stores, "token-b")).toBeNull();
    rememberRole(stores, "token-b", "viewer");
    forgetToken(stores);
    expect(knownRole(stores, "token-b")).toBeNull();
  });

  it("formats durations", () => {
    expect(formatDuration(0.25)).toBe("250ms");
    expect(formatDuration(75)).toBe("1m 15s");
    expect(formatDuration(null)).toBe("—");
  });
});
