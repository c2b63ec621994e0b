import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Api, ApiError } from "./api/client";
import { askOtherTabs, detectRole, forgetToken, knownRole, rememberRole, SessionChannel, storeToken, takeToken,
  tokenFromLink, type Role, type Stores } from "./auth";
import { Loading } from "./components/common";
import type { RuntimeConfig } from "./config";
import { SessionContext } from "./context";
import { parseHash, type Route } from "./lib/route";
import { Header } from "./views/Header";
import { page } from "./views/pages";
import { SignIn } from "./views/SignIn";

const stores = (): Stores => ({ session: window.sessionStorage, device: window.localStorage });

export function App({ config }: { config: RuntimeConfig }) {
  // undefined while asking the other open tabs for their token; null when signed out
  const [token, setToken] = useState<string | null | undefined>(() =>
    takeToken(window.location, window.history, stores()) ?? undefined);
  const [role, setRole] = useState<Role | null>(() => knownRole(stores(), token));
  const [authError, setAuthError] = useState<string | null>(null);
  const [, setZoneVersion] = useState(0);
  const route = useRoute();
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const api = useMemo(() => (token ? new Api(config.apiBaseUrl, token) : null), [config.apiBaseUrl, token]);

  useEffect(() => {
    if (token !== undefined) return;
    askOtherTabs().then((shared) => {
      if (shared) storeToken(stores(), shared, false);
      setToken(shared);
    });
  }, [token]);

  const channel = useMemo(() => new SessionChannel(() => tokenRef.current ?? null, () => {
    forgetToken(stores());
    setToken(null);
    setRole(null);
  }), []);
  useEffect(() => () => channel.close(), [channel]);

  // A sign-in link opened in a tab that is already showing the dashboard (the sign-in page included).
  useEffect(() => {
    const onHash = () => {
      const linked = tokenFromLink(window.location, window.history);
      if (!linked) return;
      storeToken(stores(), linked, false);
      setAuthError(null);
      setToken(linked);
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    if (!api || !token) return;
    // A role this tab already saw for this token renders the page at once; /whoami confirms it meanwhile.
    setRole(knownRole(stores(), token));
    detectRole(api).then((detected) => {
      rememberRole(stores(), token, detected);
      setRole(detected);
    }, (err: Error) => {
      if (err instanceof ApiError && err.status === 401) {
        forgetToken(stores());
        setToken(null);
        setAuthError("That token was not accepted. Check it and sign in again.");
      } else {
        setAuthError(null);
        setRole("viewer");
      }
    });
  }, [api]);

  const leave = () => {
    forgetToken(stores());
    channel.signOut();
    setToken(null);
    setRole(null);
  };

  if (token === undefined) return <Loading what="Looking for a session" />;
  if (!api) {
    return <SignIn config={config} error={authError} onToken={(t, remember) => {
      storeToken(stores(), t, remember);
      setAuthError(null);
      setToken(t);
    }} />;
  }
  if (!role) return <Loading what="Signing in" />;
  return (
    <SessionContext.Provider value={{ api, role, signOut: leave }}>
      <Header route={route} role={role} onSignOut={leave} onZone={() => setZoneVersion((v) => v + 1)} />
      <main id="main">{page(route)}</main>
    </SessionContext.Provider>
  );
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(/token=/.test(window.location.hash) ? "#/" : window.location.hash));
  useEffect(() => {
    // a sign-in link's fragment is not a route: App takes the token and the address becomes #/
    const update = () => setRoute(parseHash(/token=/.test(window.location.hash) ? "#/" : window.location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
