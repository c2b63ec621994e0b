import { useEffect, useMemo, useState } from "preact/hooks";
import { Api, ApiError } from "./api/client";
import { detectRole, signOut, storeToken, takeToken, type Role } from "./auth";
import { Loading } from "./components/common";
import type { RuntimeConfig } from "./config";
import { SessionContext } from "./context";
import { parseHash, type Route } from "./lib/route";
import { DagList } from "./views/DagList";
import { DagPage } from "./views/DagPage";
import { Monitoring } from "./views/Monitoring";
import { SignIn } from "./views/SignIn";

export function App({ config }: { config: RuntimeConfig }) {
  const [token, setToken] = useState(() => takeToken(window.location, window.history, window.sessionStorage));
  const [role, setRole] = useState<Role | null>(null);
  const [authError, setAuthError] = useState<string | null>(null);
  const route = useRoute();
  const api = useMemo(() => (token ? new Api(config.apiBaseUrl, token) : null), [config.apiBaseUrl, token]);

  useEffect(() => {
    if (!api) return;
    setRole(null);
    detectRole(api).then(setRole, (err: Error) => {
      if (err instanceof ApiError && err.status === 401) {
        signOut(window.sessionStorage);
        setToken(null);
        setAuthError("That token was not accepted. Check it and sign in again.");
      } else {
        setAuthError(null);
        setRole("viewer");
      }
    });
  }, [api]);

  const leave = () => {
    signOut(window.sessionStorage);
    setToken(null);
    setRole(null);
  };

  if (!api) {
    return <SignIn config={config} error={authError} onToken={(t) => {
      storeToken(window.sessionStorage, t);
      setAuthError(null);
      setToken(t);
    }} />;
  }
  if (!role) return <Loading what="Signing in" />;
  return (
    <SessionContext.Provider value={{ api, role, signOut: leave }}>
      <Header route={route} role={role} onSignOut={leave} />
      <main>{page(route)}</main>
    </SessionContext.Provider>
  );
}

function page(route: Route) {
  const [first, second] = route.path;
  if (first === "dags" && second) return <DagPage dagId={second} query={route.query} />;
  if (first === "monitoring") return <Monitoring />;
  return <DagList query={route.query} />;
}

function Header({ route, role, onSignOut }: { route: Route; role: Role; onSignOut: () => void }) {
  const section = route.path[0] ?? "dags";
  return (
    <header class="topbar">
      <a class="brand" href="#/">Levante</a>
      <nav>
        <a href="#/" class={section === "dags" ? "active" : ""}>DAGs</a>
        <a href="#/monitoring" class={section === "monitoring" ? "active" : ""}>Monitoring</a>
      </nav>
      <span class="spacer" />
      <span class="role" data-testid="role" title="The role of your token">role: {role}</span>
      <button type="button" class="link light" onClick={onSignOut}>Sign out</button>
    </header>
  );
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(window.location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
