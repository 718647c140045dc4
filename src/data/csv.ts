/** CSV loading: numeric feature columns and one label column, with errors that name the line and column. */
import { readFileSync } from "node:fs";
import { Tensor } from "../engine";
import type { Dataset } from "./dataset";

export interface CsvOptions {
  /** The label column: a 0-based index, a negative index from the end, or a header name (default −1, the last). */
  labelColumn?: number | string;
  /** Whether the first line is a header (default: it is when any of its fields is not a number). */
  header?: boolean;
  /**
   * "class": labels become class indices [N] (numbers as given, which must be non-negative integers, or
   * strings numbered in order of first appearance); "value": numeric targets [N, 1]. Default: "class"
   * when every label is a non-negative integer or any is not a number, else "value".
   */
  labels?: "class" | "value";
  /** Field separator (default ","). */
  delimiter?: string;
}

/** A dataset loaded from CSV, with its column names. */
export interface CsvDataset extends Dataset {
  /** Names of the feature columns (from the header, or "column N"). */
  features: string[];
  /** For string class labels: the name of each class index. */
  labelNames?: string[];
}

/** Splits one line, honouring double-quoted fields ("a, b" and "" escapes). */
function splitLine(line: string, delimiter: string): string[] {
  const out: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { field += '"'; i++; }
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (line.startsWith(delimiter, i)) { out.push(field.trim()); field = ""; i += delimiter.length - 1; }
    else field += ch;
  }
  out.push(field.trim());
  return out;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(Infinity|NaN)$/;
const isNumber = (s: string) => NUMBER.test(s);

/**
 * Parses CSV text (or reads a file, when the argument contains no line break) into a dataset: every
 * column but the label must be numeric. Ragged rows and non-numbers are errors naming the line (1-based,
 * as an editor shows it) and the column (its header name and 1-based position).
 */
export function loadCsv(pathOrText: string, options: CsvOptions = {}): CsvDataset {
  const text = /\r?\n/.test(pathOrText) ? pathOrText : readFileSync(pathOrText, "utf8");
  return parseCsv(text, options);
}

/** `loadCsv` on text already in memory. */
export function parseCsv(text: string, options: CsvOptions = {}): CsvDataset {
  const delimiter = options.delimiter ?? ",";
  const lines: Array<{ line: number; fields: string[] }> = [];
  text.replace(/^\uFEFF/, "").split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() !== "") lines.push({ line: i + 1, fields: splitLine(raw, delimiter) });
  });
  if (!lines.length) throw new Error("loadCsv: no rows");
  // A header is a first row with a name where the next row has a number: a string label column
  // (non-numeric in every row) must not make the first data row a header.
  const hasHeader =
    options.header ?? lines[0].fields.some((f, j) => !isNumber(f) && (lines.length < 2 || isNumber(lines[1].fields[j] ?? "")));
  const names = hasHeader ? lines[0].fields : lines[0].fields.map((_, j) => `column ${j + 1}`);
  const rows = hasHeader ? lines.slice(1) : lines;
  const width = names.length;
  if (width < 2) throw new Error(`loadCsv: line ${lines[0].line} has ${width} column; need at least one feature and a label`);
  if (!rows.length) throw new Error("loadCsv: a header but no data rows");

  const spec = options.labelColumn ?? -1;
  let label: number;
  if (typeof spec === "string") {
    label = names.indexOf(spec);
    if (label < 0) throw new Error(`loadCsv: no column named "${spec}"${hasHeader ? ` (columns: ${names.join(", ")})` : " (the file has no header; pass an index)"}`);
  } else {
    label = spec < 0 ? width + spec : spec;
    if (!(Number.isInteger(label) && label >= 0 && label < width)) throw new Error(`loadCsv: labelColumn ${spec} is out of range for ${width} columns`);
  }
  const column = (j: number) => `column ${j + 1}${hasHeader ? ` ("${names[j]}")` : ""}`;

  const n = rows.length;
  const x = new Float64Array(n * (width - 1));
  const rawLabels: string[] = new Array(n);
  rows.forEach(({ line, fields }, r) => {
    if (fields.length !== width) {
      throw new Error(`loadCsv: line ${line} has ${fields.length} fields, expected ${width} (as in line ${lines[0].line})`);
    }
    let k = 0;
    for (let j = 0; j < width; j++) {
      if (j === label) continue;
      const f = fields[j];
      if (!isNumber(f)) throw new Error(`loadCsv: line ${line}, ${column(j)}: ${f === "" ? "empty value" : `"${f}" is not a number`}`);
      x[r * (width - 1) + k++] = Number(f);
    }
    rawLabels[r] = fields[label];
  });

  const numeric = rawLabels.every(isNumber);
  const integral = numeric && rawLabels.every((s) => Number.isInteger(Number(s)) && Number(s) >= 0);
  const mode = options.labels ?? (integral || !numeric ? "class" : "value");
  const features = names.filter((_, j) => j !== label);
  const xs = new Tensor(x, [n, width - 1]);
  if (mode === "value") {
    rawLabels.forEach((s, r) => {
      if (!isNumber(s)) throw new Error(`loadCsv: line ${rows[r].line}, ${column(label)}: "${s}" is not a number (labels: "value" needs numeric targets)`);
    });
    return { x: xs, y: new Tensor(Float64Array.from(rawLabels, Number), [n, 1]), features };
  }
  if (numeric) {
    rawLabels.forEach((s, r) => {
      const v = Number(s);
      if (!(Number.isInteger(v) && v >= 0)) throw new Error(`loadCsv: line ${rows[r].line}, ${column(label)}: class label "${s}" is not a non-negative integer`);
    });
    const y = Float64Array.from(rawLabels, Number);
    return { x: xs, y: new Tensor(y, [n]), classes: y.reduce((m, v) => Math.max(m, v), 0) + 1, features };
  }
  const labelNames: string[] = [];
  const index = new Map<string, number>();
  const y = Float64Array.from(rawLabels, (s) => {
    if (!index.has(s)) { index.set(s, labelNames.length); labelNames.push(s); }
    return index.get(s)!;
  });
  return { x: xs, y: new Tensor(y, [n]), classes: labelNames.length, features, labelNames };
}
