// The trigger form generated from a DAG's `params` ({name: {default, has_default, description, schema}},
// JSON-schema per param), and the conf it produces. Values are edited as strings, converted on submit.

export interface ParamSpec {
  default?: unknown;
  has_default?: boolean;
  description?: string | null;
  schema?: Record<string, unknown>;
}

export type FieldKind = "string" | "integer" | "number" | "boolean" | "enum" | "json" | "date" | "datetime";

export interface Field {
  name: string;
  title: string; // the schema's `title`, else the param's name
  pattern: string | null;
  kind: FieldKind;
  description: string | null;
  options: unknown[]; // enum values
  nullable: boolean;
  required: boolean; // no default and null not allowed
  schema: Record<string, unknown>;
  initial: string | boolean;
}

export type FormValues = Record<string, string | boolean>;

function types(schema: Record<string, unknown>): string[] {
  const t = schema.type;
  if (Array.isArray(t)) return t.map(String);
  return typeof t === "string" ? [t] : [];
}

function kindOf(schema: Record<string, unknown>, value: unknown): FieldKind {
  if (Array.isArray(schema.enum)) return "enum";
  const t = types(schema).filter((x) => x !== "null")[0];
  if (t === "string") {
    if (schema.format === "date") return "date";
    if (schema.format === "date-time") return "datetime";
    return "string";
  }
  if (t === "integer" || t === "number" || t === "boolean") return t;
  if (t === "object" || t === "array") return "json";
  if (t === undefined) {
    if (typeof value === "boolean") return "boolean";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    if (typeof value === "string") return "string";
    if (value === null || value === undefined) return "string";
  }
  return "json";
}

function initialText(kind: FieldKind, value: unknown): string | boolean {
  if (kind === "boolean") return value === true;
  if (value === null || value === undefined) return "";
  if (kind === "json") return JSON.stringify(value, null, 2);
  if (kind === "enum") return JSON.stringify(value);
  if (kind === "datetime" && typeof value === "string") return value.replace(/(:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$/, "$1");
  return String(value);
}

export function fieldsFromParams(params: Record<string, ParamSpec> | null | undefined): Field[] {
  return Object.entries(params ?? {}).map(([name, spec]) => {
    const schema = spec.schema ?? {};
    const hasDefault = spec.has_default !== false;
    const value = hasDefault ? spec.default : undefined;
    const kind = kindOf(schema, value);
    const nullable = types(schema).includes("null") || (Array.isArray(schema.enum) && schema.enum.includes(null));
    const title = typeof schema.title === "string" && schema.title.trim() ? schema.title : name;
    const pattern = typeof schema.pattern === "string" ? schema.pattern : null;
    return { name, title, pattern, kind, description: spec.description ?? (schema.description as string | undefined) ?? null,
      options: Array.isArray(schema.enum) ? schema.enum : [], nullable,
      required: !hasDefault && !nullable, schema, initial: initialText(kind, value) };
  });
}

export function initialValues(fields: Field[]): FormValues {
  return Object.fromEntries(fields.map((f) => [f.name, f.initial]));
}

export interface ConfResult {
  conf: Record<string, unknown>;
  errors: Record<string, string>;
}

/** Form values → trigger conf, with per-field messages for what cannot be converted or is out of range. */
export function buildConf(fields: Field[], values: FormValues): ConfResult {
  const conf: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const raw = values[field.name] ?? field.initial;
    try {
      const value = convert(field, raw);
      if (value === undefined) continue;
      const problem = checkRange(field, value);
      if (problem) errors[field.name] = problem;
      else conf[field.name] = value;
    } catch (err) {
      errors[field.name] = (err as Error).message;
    }
  }
  return { conf, errors };
}

function convert(field: Field, raw: string | boolean): unknown {
  if (field.kind === "boolean") return raw === true;
  const text = String(raw);
  if (text.trim() === "") {
    if (field.nullable) return null;
    if (field.required) throw new Error("a value is required");
    return field.kind === "string" ? "" : undefined; // leave it to the DAG's default
  }
  switch (field.kind) {
    case "integer": {
      const n = Number(text);
      if (!Number.isInteger(n)) throw new Error("must be a whole number");
      return n;
    }
    case "number": {
      const n = Number(text);
      if (Number.isNaN(n)) throw new Error("must be a number");
      return n;
    }
    case "enum":
    case "json":
      try {
        return JSON.parse(text);
      } catch {
        if (field.kind === "enum") return text;
        throw new Error("must be valid JSON");
      }
    case "datetime":
      return /Z|[+-]\d\d:\d\d$/.test(text) ? text : `${text.length === 16 ? `${text}:00` : text}+00:00`;
    default:
      return text;
  }
}

function checkRange(field: Field, value: unknown): string | null {
  const s = field.schema;
  if (typeof value === "number") {
    if (typeof s.minimum === "number" && value < s.minimum) return `must be ≥ ${s.minimum}`;
    if (typeof s.maximum === "number" && value > s.maximum) return `must be ≤ ${s.maximum}`;
  }
  if (typeof value === "string") {
    if (typeof s.minLength === "number" && value.length < s.minLength) return `at least ${s.minLength} characters`;
    if (typeof s.maxLength === "number" && value.length > s.maxLength) return `at most ${s.maxLength} characters`;
    if (field.pattern && !matches(field.pattern, value)) return `must match the pattern ${field.pattern}`;
  }
  if (field.options.length && !field.options.some((o) => JSON.stringify(o) === JSON.stringify(value))) {
    return "must be one of the listed values";
  }
  return null;
}

/** Raw JSON conf text → object, or a readable error. */
export function parseConfText(text: string): { conf?: Record<string, unknown>; error?: string } {
  if (text.trim() === "") return { conf: {} };
  try {
    const value = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) return { error: "conf must be a JSON object" };
    return { conf: value as Record<string, unknown> };
  } catch (err) {
    return { error: `invalid JSON: ${(err as Error).message}` };
  }
}

function matches(pattern: string, value: string): boolean {
  try {
    return new RegExp(pattern, "u").test(value); // JSON Schema patterns are unanchored ECMA 262 regexes
  } catch {
    return true; // a pattern the browser cannot compile: leave the check to the server
  }
}

/**
 * The API's param error ("invalid conf for DAG 'd': param 'count': 5 is greater than the maximum of 3")
 * as a message on the field it names; `general` keeps what names no field.
 */
export function serverFieldErrors(message: string, fields: Field[]): { fields: Record<string, string>; general: string | null } {
  const match = /param '([^']+)'[:]?\s*(.*)$/s.exec(message);
  if (match && fields.some((f) => f.name === match[1])) return { fields: { [match[1]]: match[2] || message }, general: null };
  return { fields: {}, general: message };
}
