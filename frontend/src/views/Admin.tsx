// Admin pages: Variables and Connections (admin role), over the API of the same names. Secret variable
// values and connection passwords come back masked (`***`) and are never shown.

import { useState } from "preact/hooks";
import { seg } from "../api/client";
import { can } from "../auth";
import { Empty, ErrorBox, Loading } from "../components/common";
import { useSession } from "../context";
import { useResource } from "../lib/hooks";

interface Variable { key: string; value: string; description: string | null }
interface Connection { connection_id: string; conn_type: string; host: string | null; login: string | null;
  schema: string | null; port: number | null; description: string | null; extra: string | null }

export function Admin({ section }: { section: string }) {
  const { role } = useSession();
  if (!can(role, "admin")) return <Empty>Variables and Connections need the admin role.</Empty>;
  return (
    <section class="admin">
      <nav class="tabs" aria-label="Admin">
        <a href="#/admin/variables" class={section !== "connections" ? "active" : ""}>Variables</a>
        <a href="#/admin/connections" class={section === "connections" ? "active" : ""}>Connections</a>
      </nav>
      {section === "connections" ? <Connections /> : <Variables />}
    </section>
  );
}

function Variables() {
  const { api } = useSession();
  const list = useResource((signal) => api.get<{ variables: Variable[] }>("/variables", { limit: 500 }, signal), [api]);
  const [form, setForm] = useState({ key: "", value: "", description: "" });
  const [error, setError] = useState<string | null>(null);
  const save = (e: Event) => {
    e.preventDefault();
    setError(null);
    const body = { key: form.key.trim(), value: form.value, description: form.description || null };
    api.patch(`/variables/${seg(body.key)}`, body).catch(() => api.post("/variables", body))
      .then(() => { setForm({ key: "", value: "", description: "" }); list.reload(); }, (err: Error) => setError(err.message));
  };
  const remove = (key: string) => {
    if (!window.confirm(`Delete variable ${key}?`)) return;
    api.request("DELETE", `/variables/${seg(key)}`).then(list.reload, (err: Error) => setError(err.message));
  };
  return (
    <div>
      <h1>Variables</h1>
      {list.error && <ErrorBox error={list.error} retry={list.reload} />}
      {!list.data && !list.error && <Loading what="Loading variables" />}
      {list.data && (list.data.variables.length === 0 ? <Empty>No variables.</Empty> : (
        <div class="table-wrap"><table class="table variables">
          <thead><tr><th>Key</th><th>Value</th><th>Description</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>{list.data.variables.map((v) => (
            <tr key={v.key} data-key={v.key}>
              <td><code>{v.key}</code></td><td><code>{v.value}</code></td><td class="small">{v.description ?? ""}</td>
              <td><button type="button" onClick={() => setForm({ key: v.key, value: v.value === "***" ? "" : v.value, description: v.description ?? "" })}>Edit</button>
                {" "}<button type="button" onClick={() => remove(v.key)}>Delete</button></td>
            </tr>))}
          </tbody>
        </table></div>
      ))}
      <form class="forecast" onSubmit={save} aria-label="Set a variable">
        <h3>Set a variable</h3>
        <label class="field"><span>Key</span><input name="key" required value={form.key}
          onInput={(e) => setForm({ ...form, key: (e.target as HTMLInputElement).value })} /></label>
        <label class="field"><span>Value</span><textarea name="value" rows={3} value={form.value}
          onInput={(e) => setForm({ ...form, value: (e.target as HTMLTextAreaElement).value })} /></label>
        <label class="field"><span>Description</span><input name="description" value={form.description}
          onInput={(e) => setForm({ ...form, description: (e.target as HTMLInputElement).value })} /></label>
        {error && <div class="error-box" role="alert">{error}</div>}
        <button type="submit" class="primary">Save variable</button>
      </form>
    </div>
  );
}

const EMPTY_CONN = { connection_id: "", conn_type: "", host: "", login: "", password: "", schema: "", port: "", extra: "" };

function Connections() {
  const { api } = useSession();
  const list = useResource((signal) => api.get<{ connections: Connection[] }>("/connections", { limit: 500 }, signal), [api]);
  const [form, setForm] = useState(EMPTY_CONN);
  const [error, setError] = useState<string | null>(null);
  const field = (name: keyof typeof EMPTY_CONN, label: string, type: "text" | "password" | "number" = "text") => (
    <label class="field"><span>{label}</span><input name={name} type={type as "text"} value={form[name]} autoComplete="off"
      onInput={(e) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value })} /></label>
  );
  const save = (e: Event) => {
    e.preventDefault();
    setError(null);
    const body = { ...Object.fromEntries(Object.entries(form).map(([k, v]) => [k, v === "" ? null : v])),
      port: form.port ? Number(form.port) : null, connection_id: form.connection_id.trim(), conn_type: form.conn_type.trim() };
    api.post("/connections", body).then(() => { setForm(EMPTY_CONN); list.reload(); }, (err: Error) => setError(err.message));
  };
  const remove = (id: string) => {
    if (!window.confirm(`Delete connection ${id}?`)) return;
    api.request("DELETE", `/connections/${seg(id)}`).then(list.reload, (err: Error) => setError(err.message));
  };
  return (
    <div>
      <h1>Connections</h1>
      {list.error && <ErrorBox error={list.error} retry={list.reload} />}
      {!list.data && !list.error && <Loading what="Loading connections" />}
      {list.data && (list.data.connections.length === 0 ? <Empty>No connections.</Empty> : (
        <div class="table-wrap"><table class="table connections">
          <thead><tr><th>Id</th><th>Type</th><th>Host</th><th>Login</th><th>Schema</th><th>Port</th><th><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>{list.data.connections.map((c) => (
            <tr key={c.connection_id} data-conn={c.connection_id}>
              <td><code>{c.connection_id}</code></td><td>{c.conn_type}</td><td>{c.host ?? ""}</td><td>{c.login ?? ""}</td>
              <td>{c.schema ?? ""}</td><td>{c.port ?? ""}</td>
              <td><button type="button" onClick={() => remove(c.connection_id)}>Delete</button></td>
            </tr>))}
          </tbody>
        </table></div>
      ))}
      <form class="forecast" onSubmit={save} aria-label="Add a connection">
        <h3>Add a connection</h3>
        {field("connection_id", "Connection id")}{field("conn_type", "Type")}{field("host", "Host")}{field("login", "Login")}
        {field("password", "Password (stored in the secrets store, never shown again)", "password")}
        {field("schema", "Schema")}{field("port", "Port", "number")}{field("extra", "Extra (JSON)")}
        {error && <div class="error-box" role="alert">{error}</div>}
        <button type="submit" class="primary">Add connection</button>
      </form>
    </div>
  );
}
