import { describe, expect, it } from "vitest";
import { buildConf, fieldsFromParams, initialValues, parseConfText, serverFieldErrors } from "./params";

const params = {
  env: { default: "staging", has_default: true, description: "where", schema: { type: "string", enum: ["staging", "prod"] } },
  limit: { default: 10, has_default: true, description: null, schema: { type: "integer", minimum: 1 } },
  ratio: { default: 0.5, has_default: true, schema: { type: "number", maximum: 1 } },
  flags: { default: { dry_run: true }, has_default: true, schema: {} },
  verbose: { default: false, has_default: true, schema: { type: "boolean" } },
  name: { default: null, has_default: false, schema: { type: "string" } },
  note: { default: null, has_default: true, schema: { type: ["null", "string"] } },
  day: { default: "2024-01-01", has_default: true, schema: { type: "string", format: "date" } },
};

describe("fieldsFromParams", () => {
  it("picks an input kind per schema", () => {
    const kinds = Object.fromEntries(fieldsFromParams(params).map((f) => [f.name, f.kind]));
    expect(kinds).toEqual({ env: "enum", limit: "integer", ratio: "number", flags: "json", verbose: "boolean",
      name: "string", note: "string", day: "date" });
  });

  it("infers the kind from the default when there is no schema type", () => {
    const [n, s] = fieldsFromParams({ n: { default: 3, schema: {} }, s: { default: "x", schema: {} } });
    expect(n.kind).toBe("integer");
    expect(s.kind).toBe("string");
  });

  it("marks params with no default and no null as required", () => {
    const fields = fieldsFromParams(params);
    expect(fields.find((f) => f.name === "name")!.required).toBe(true);
    expect(fields.find((f) => f.name === "note")!.required).toBe(false);
    expect(fields.find((f) => f.name === "note")!.nullable).toBe(true);
  });
});

describe("buildConf", () => {
  const fields = fieldsFromParams(params);

  it("converts the defaults back to the same values", () => {
    const { conf, errors } = buildConf(fields, { ...initialValues(fields), name: "x" });
    expect(errors).toEqual({});
    expect(conf).toEqual({ env: "staging", limit: 10, ratio: 0.5, flags: { dry_run: true }, verbose: false, name: "x",
      note: null, day: "2024-01-01" });
  });

  it("converts typed input", () => {
    const { conf, errors } = buildConf(fields, { ...initialValues(fields), env: '"prod"', limit: "42", verbose: true,
      flags: '{"a": [1]}', name: "n" });
    expect(errors).toEqual({});
    expect(conf).toMatchObject({ env: "prod", limit: 42, verbose: true, flags: { a: [1] } });
  });

  it("reports what cannot be converted or is out of range", () => {
    const { errors } = buildConf(fields, { ...initialValues(fields), limit: "0", ratio: "2", flags: "{oops", name: "" });
    expect(errors.limit).toMatch(/≥ 1/);
    expect(errors.ratio).toMatch(/≤ 1/);
    expect(errors.flags).toMatch(/JSON/);
    expect(errors.name).toMatch(/required/);
  });

  it("rejects a fractional integer", () => {
    expect(buildConf(fields, { ...initialValues(fields), limit: "1.5", name: "x" }).errors.limit).toMatch(/whole/);
  });
});

describe("parseConfText", () => {
  it("accepts an object and rejects the rest", () => {
    expect(parseConfText('{"a": 1}')).toEqual({ conf: { a: 1 } });
    expect(parseConfText("")).toEqual({ conf: {} });
    expect(parseConfText("[1]").error).toMatch(/object/);
    expect(parseConfText("{").error).toMatch(/invalid JSON/);
  });
});

describe("title, pattern and the server's errors", () => {
  const fields = fieldsFromParams({
    code: { default: "AB-1", has_default: true, schema: { type: "string", pattern: "^[A-Z]{2}-\\d+$", title: "Batch code" } },
  });

  it("labels a field with its schema title and checks its pattern", () => {
    expect(fields[0].title).toBe("Batch code");
    expect(buildConf(fields, { code: "AB-12" }).errors).toEqual({});
    expect(buildConf(fields, { code: "ab12" }).errors.code).toContain("pattern");
  });

  it("puts a server error on the field it names", () => {
    expect(serverFieldErrors("400: invalid conf for DAG 'd': param 'code': 'x' does not match '^a$'", fields))
      .toEqual({ fields: { code: "'x' does not match '^a$'" }, general: null });
    expect(serverFieldErrors("409: run exists", fields)).toEqual({ fields: {}, general: "409: run exists" });
  });
});
