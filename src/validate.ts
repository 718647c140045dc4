/**
 * Validates a saved report against schema/report.schema.json before any formatting code touches it
 * (`gradient-lens report FILE`, `gradient-lens compare A B`, and the reports the extension loads to
 * compare runs), so a malformed file is a clear message, not a TypeError.
 *
 * The schema's `additionalProperties: false` is relaxed here: the report is a contract that is extended
 * freely (src/report.ts), and a reader must show a report that carries fields it does not know yet
 * (a newer writer, `gradcheck.status` before the schema lists it). Types, required fields and enums
 * of everything the CLI reads are still checked.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import schema from "../schema/report.schema.json";
import type { Report } from "./report";

/** A deep copy of the schema without `additionalProperties: false` (unknown fields are tolerated). */
function tolerant(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(tolerant);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "additionalProperties" && v === false) continue;
    out[k] = tolerant(v);
  }
  return out;
}

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  compiled ??= new Ajv2020({ allErrors: false, strict: false }).compile(tolerant(schema) as object);
  return compiled;
}

/** "/steps/0" → "steps[0]"; the root → "the report". */
function where(instancePath: string): string {
  if (!instancePath) return "the report";
  return instancePath
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), "");
}

function describe(e: ErrorObject): string {
  const at = where(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "required":
      return `${at} is missing "${String(params.missingProperty)}"`;
    case "type":
      return `${at} must be ${String(params.type).replace(/,/g, " or ")}`;
    case "enum":
      return `${at} must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
    case "const":
      return `${at} must be ${JSON.stringify(params.allowedValue)}`;
    default:
      return `${at} ${e.message ?? "is invalid"}`;
  }
}

/** `{ ok: true }` for a valid version 1 report, else the first problem, naming where it is. */
export function validateReport(value: unknown): { ok: true; report: Report } | { ok: false; problem: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { ok: false, problem: "the file does not hold a JSON object" };
  const version = (value as { version?: unknown }).version;
  if (version !== 1) return { ok: false, problem: `"version" is ${JSON.stringify(version) ?? "missing"}, expected 1` };
  const validate = validator();
  if (validate(value)) return { ok: true, report: value as Report };
  const first = validate.errors?.[0];
  return { ok: false, problem: first ? describe(first) : "it does not match the report schema" };
}
