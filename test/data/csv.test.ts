/** CSV loading: headers, label columns, class names, and errors that name the line and column. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadCsv } from "../../src/data";

describe("loadCsv", () => {
  it("reads a header, numeric features and integer class labels from the last column", () => {
    const ds = loadCsv("a,b,label\n1,2,0\n3.5,-4e-1,2\n\n5,6,1\n");
    expect(ds.features).toEqual(["a", "b"]);
    expect(ds.x.toArray()).toEqual([[1, 2], [3.5, -0.4], [5, 6]]);
    expect(Array.from(ds.y.data)).toEqual([0, 2, 1]);
    expect(ds.y.shape).toEqual([3]);
    expect(ds.classes).toBe(3);
  });

  it("takes the label column by name or index; string labels become classes in order of appearance", () => {
    const ds = loadCsv('species,len,width\nsetosa,1.4,0.2\n"versi, color",4.7,1.4\nsetosa,1.3,0.2\n', { labelColumn: "species" });
    expect(ds.features).toEqual(["len", "width"]);
    expect(ds.labelNames).toEqual(["setosa", "versi, color"]);
    expect(Array.from(ds.y.data)).toEqual([0, 1, 0]);
    const byIndex = loadCsv("1,2,3\n4,5,6\n", { labelColumn: 0 });
    expect(byIndex.x.toArray()).toEqual([[2, 3], [5, 6]]);
    expect(byIndex.features).toEqual(["column 2", "column 3"]);
  });

  it("non-integer numeric labels become regression targets [N, 1]", () => {
    const ds = loadCsv("x,y\n1,0.5\n2,1.5\n");
    expect(ds.y.shape).toEqual([2, 1]);
    expect(ds.classes).toBeUndefined();
  });

  it("a headerless file with string labels keeps its first row as data", () => {
    const ds = loadCsv("5.1,3.5,setosa\n4.9,3.0,setosa\n6.2,2.9,virginica\n");
    expect(ds.x.shape).toEqual([3, 2]);
    expect(Array.from(ds.y.data)).toEqual([0, 0, 1]);
  });

  it("detects a header, or follows header: false", () => {
    expect(loadCsv("1,2\n3,4\n").x.shape).toEqual([2, 1]);
    expect(() => loadCsv("a,b\n1,2\n", { header: false })).toThrow(/line 1, column 1: "a" is not a number/);
  });

  it("ragged rows: names the line and both field counts", () => {
    expect(() => loadCsv("a,b,c\n1,2,3\n4,5\n")).toThrow(/line 3 has 2 fields, expected 3/);
  });

  it("non-numbers and empty values: names the line and the column by position and header", () => {
    expect(() => loadCsv("a,b,c\n1,2,0\n4,five,1\n")).toThrow('loadCsv: line 3, column 2 ("b"): "five" is not a number');
    expect(() => loadCsv("a,b,c\n1,,0\n")).toThrow(/line 2, column 2 \("b"\): empty value/);
    expect(() => loadCsv("a,b\n1,2\n", { labelColumn: "z" })).toThrow(/no column named "z" \(columns: a, b\)/);
    expect(() => loadCsv("a,b\n1,-1\n", { labels: "class" })).toThrow(/line 2, column 2 \("b"\): class label "-1"/);
  });

  it("reads a file when given a path", () => {
    const dir = mkdtempSync(join(tmpdir(), "gl-csv-"));
    const file = join(dir, "d.csv");
    writeFileSync(file, "f,label\r\n0.25,1\r\n0.75,0\r\n");
    const ds = loadCsv(file);
    expect(Array.from(ds.x.data)).toEqual([0.25, 0.75]);
    expect(Array.from(ds.y.data)).toEqual([1, 0]);
  });
});
