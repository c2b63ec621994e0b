// One build serves every environment: the API base URL and the auth mode come from /config.json at run time.

export interface RuntimeConfig {
  apiBaseUrl: string;
  auth: "token" | "cognito";
  cognito?: { domain: string; clientId: string };
}

export async function loadConfig(): Promise<RuntimeConfig> {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = (await response.json()) as Partial<RuntimeConfig>;
  if (!config.apiBaseUrl) throw new Error("config.json has no apiBaseUrl");
  return { auth: "token", ...config } as RuntimeConfig;
}
