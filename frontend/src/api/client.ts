// The REST API (base /api/v1) with the session's bearer token. Every failure becomes an ApiError whose
// message a person can read: the API's `detail`, or what went wrong with the network.

export class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code = "") {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | string[] | undefined | null>;

export class Api {
  constructor(readonly baseUrl: string, private token: string) {}

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === "") continue;
      for (const v of Array.isArray(value) ? value : [value]) params.append(key, String(v));
    }
    const qs = params.toString();
    return `${this.baseUrl.replace(/\/$/, "")}${path}${qs ? `?${qs}` : ""}`;
  }

  /** GETs are retried once after a network error or a 5xx: a read is safe to repeat. */
  async get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    try {
      return await this.request<T>("GET", path, undefined, query, signal);
    } catch (err) {
      if (!(err instanceof ApiError) || (err.status !== 0 && err.status < 500)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 400));
      return this.request<T>("GET", path, undefined, query, signal);
    }
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>("POST", path, body);
  }

  patch<T>(path: string, body: unknown, query?: Query): Promise<T> {
    return this.request<T>("PATCH", path, body, query);
  }

  async request<T>(method: string, path: string, body?: unknown, query?: Query, signal?: AbortSignal): Promise<T> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(this.url(path, query), {
        method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if ((err as Error).name === "AbortError") throw err;
      throw new ApiError(0, `cannot reach the API at ${this.baseUrl} (${(err as Error).message})`, "network");
    }
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) throw errorFrom(response.status, data, text);
    return data as T;
  }
}

function errorFrom(status: number, data: unknown, text: string): ApiError {
  const body = (data ?? {}) as { detail?: unknown; error?: unknown; title?: unknown; message?: unknown };
  const detail = body.detail ?? body.message ?? body.title;
  const message = typeof detail === "string" ? detail : text.slice(0, 200) || `HTTP ${status}`;
  return new ApiError(status, `${status}: ${message}`, typeof body.error === "string" ? body.error : "");
}

/** `dag_id` and friends as path segments. */
export const seg = (value: string) => encodeURIComponent(value);
