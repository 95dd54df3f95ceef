/**
 * A small validator for configuration trees: every error names the file, the
 * field path (`variations[1].set["model.filters"]`) and what was expected.
 *
 * @module
 */

/** A configuration mistake, found before anything trains. */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly expected: string,
    readonly got: unknown,
    /** Shown in full instead of a shortened `got` (e.g. a parser message). */
    detail?: string,
  ) {
    super(
      `${file}: ${path || "(top level)"}: expected ${expected}, got ` +
        (detail ?? describe(got)),
    );
    this.name = "ConfigError";
  }
}

/** A short rendering of a bad value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** What a field must hold. */
export type Spec =
  | { kind: "number"; min?: number; max?: number; integer?: boolean }
  | { kind: "boolean" }
  | { kind: "string" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "array"; of: Spec; minLength?: number }
  | { kind: "object"; fields: Record<string, Spec>; optional?: string[] }
  | { kind: "nullable"; of: Spec };

function expectedText(spec: Spec): string {
  switch (spec.kind) {
    case "number": {
      const what = spec.integer ? "an integer" : "a number";
      const lo = spec.min !== undefined ? ` >= ${spec.min}` : "";
      const hi = spec.max !== undefined ? ` <= ${spec.max}` : "";
      return what + lo + (lo && hi ? " and" : "") + hi;
    }
    case "boolean":
      return "true or false";
    case "string":
      return "a string";
    case "enum":
      return `one of ${spec.values.map((v) => `"${v}"`).join(", ")}`;
    case "array":
      return `a list of ${expectedText(spec.of)}` +
        (spec.minLength ? ` (at least ${spec.minLength})` : "");
    case "object":
      return `a mapping with keys ${Object.keys(spec.fields).join(", ")}`;
    case "nullable":
      return `${expectedText(spec.of)} or null`;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Joins a field path the way the error messages print it. */
export function joinPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    return path ? `${path}.${key}` : key;
  }
  return `${path}[${JSON.stringify(key)}]`;
}

/**
 * Checks `value` against `spec`, throwing a `ConfigError` at the first
 * mismatch. With `partial`, object fields may be missing (a base config or a
 * variation only names what it changes); unknown keys are always errors.
 */
export function check(
  value: unknown,
  spec: Spec,
  file: string,
  path: string,
  partial = false,
): void {
  const fail = (): never => {
    throw new ConfigError(file, path, expectedText(spec), value);
  };
  switch (spec.kind) {
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) fail();
      if (spec.integer && !Number.isInteger(value)) fail();
      if (spec.min !== undefined && (value as number) < spec.min) fail();
      if (spec.max !== undefined && (value as number) > spec.max) fail();
      return;
    case "boolean":
      if (typeof value !== "boolean") fail();
      return;
    case "string":
      if (typeof value !== "string" || value === "") fail();
      return;
    case "enum":
      if (typeof value !== "string" || !spec.values.includes(value)) fail();
      return;
    case "nullable":
      if (value !== null) check(value, spec.of, file, path, partial);
      return;
    case "array":
      if (!Array.isArray(value)) return fail();
      if (spec.minLength && value.length < spec.minLength) fail();
      value.forEach((item, i) =>
        check(item, spec.of, file, joinPath(path, i), partial)
      );
      return;
    case "object": {
      if (!isRecord(value)) return fail();
      for (const key of Object.keys(value)) {
        const field = spec.fields[key];
        if (!field) {
          throw new ConfigError(
            file,
            joinPath(path, key),
            `no such key (known here: ${Object.keys(spec.fields).join(", ")})`,
            value[key],
          );
        }
        check(value[key], field, file, joinPath(path, key), partial);
      }
      if (partial) return;
      for (const key of Object.keys(spec.fields)) {
        if (!(key in value) && !spec.optional?.includes(key)) {
          throw new ConfigError(
            file,
            joinPath(path, key),
            expectedText(spec.fields[key]!),
            undefined,
          );
        }
      }
      return;
    }
  }
}

/** Looks up the spec of a dotted path such as `model.filters`. */
export function specAt(spec: Spec, dotted: string): Spec | undefined {
  let current: Spec | undefined = spec;
  for (const key of dotted.split(".")) {
    while (current?.kind === "nullable") current = current.of;
    if (current?.kind !== "object") return undefined;
    current = current.fields[key];
  }
  return current;
}
