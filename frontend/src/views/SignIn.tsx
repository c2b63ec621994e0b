import { useState } from "preact/hooks";
import type { RuntimeConfig } from "../config";

export function SignIn({ config, error, onToken }:
  { config: RuntimeConfig; error: string | null; onToken: (token: string, remember: boolean) => void }) {
  const [token, setToken] = useState("");
  const [remember, setRemember] = useState(false);
  return (
    <main class="signin" id="main">
      <h1>Levante</h1>
      <p class="muted">Sign in with an API token. <code>levante dev</code> prints a sign-in link that does this for you;
        open it here or in any tab.</p>
      {error && <div class="error-box" role="alert">{error}</div>}
      <form onSubmit={(e) => {
        e.preventDefault();
        if (token.trim()) onToken(token.trim(), remember);
      }}>
        <label for="token">Token</label>
        <input id="token" name="token" type="password" autoComplete="off" value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <label class="check small">
          <input type="checkbox" name="remember" checked={remember}
            onChange={(e) => setRemember((e.target as HTMLInputElement).checked)} />
          Remember on this device (kept until you sign out; leave unticked on a shared computer)
        </label>
        <button type="submit" class="primary" disabled={!token.trim()}>Sign in</button>
      </form>
      {config.auth === "cognito" && config.cognito && (
        <p><a href={`https://${config.cognito.domain}/login?response_type=token&client_id=${encodeURIComponent(config.cognito.clientId)}&redirect_uri=${encodeURIComponent(window.location.origin + window.location.pathname)}`}>
          Sign in with your organisation account</a></p>
      )}
      <p class="muted small">API: {config.apiBaseUrl}</p>
    </main>
  );
}
