import { describe, expect, it } from "vitest";
import { data } from "../../src";

describe("sequence tasks", () => {
  it("addingProblem: two markers, one per half, target their values' sum; seeded", () => {
    const ds = data.addingProblem({ n: 50, length: 20, seed: 3 });
    expect(ds.x.shape).toEqual([50, 20, 2]);
    expect(ds.y.shape).toEqual([50, 1]);
    for (let i = 0; i < 50; i++) {
      const marked: number[] = [];
      let sum = 0;
      for (let t = 0; t < 20; t++) {
        const v = ds.x.data[(i * 20 + t) * 2];
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(1);
        if (ds.x.data[(i * 20 + t) * 2 + 1] === 1) { marked.push(t); sum += v; }
        else expect(ds.x.data[(i * 20 + t) * 2 + 1]).toBe(0);
      }
      expect(marked.length).toBe(2);
      expect(marked[0]).toBeLessThan(10);
      expect(marked[1]).toBeGreaterThanOrEqual(10);
      expect(ds.y.data[i]).toBeCloseTo(sum, 14);
    }
    expect(data.addingProblem({ n: 50, length: 20, seed: 3 }).x.data).toEqual(ds.x.data);
    expect(data.addingProblem({ n: 50, length: 20, seed: 4 }).x.data).not.toEqual(ds.x.data);
  });

  it("copyTask: symbols, blanks, a cue, then the symbols as targets", () => {
    const [length, delay, symbols] = [4, 3, 5];
    const ds = data.copyTask({ n: 10, length, delay, symbols, seed: 1 });
    const T = 2 * length + delay + 1;
    expect(ds.x.shape).toEqual([10, T, symbols + 2]);
    expect(ds.y.shape).toEqual([10, T]);
    expect(ds.classes).toBe(symbols + 1);
    for (let i = 0; i < 10; i++) {
      const channel = (t: number) => {
        const row = Array.from(ds.x.data.slice((i * T + t) * (symbols + 2), (i * T + t + 1) * (symbols + 2)));
        expect(row.filter((v) => v === 1).length).toBe(1);
        return row.indexOf(1);
      };
      const seq = Array.from({ length }, (_, t) => channel(t));
      seq.forEach((s) => { expect(s).toBeGreaterThanOrEqual(1); expect(s).toBeLessThanOrEqual(symbols); });
      for (let t = length; t < T; t++) expect(channel(t)).toBe(t === length + delay ? symbols + 1 : 0);
      const y = Array.from(ds.y.data.slice(i * T, (i + 1) * T));
      expect(y).toEqual([...new Array(length + delay + 1).fill(0), ...seq]);
    }
  });

  it("parity: label is the XOR of the bits", () => {
    const ds = data.parity({ n: 40, length: 7, seed: 2 });
    expect(ds.x.shape).toEqual([40, 7, 1]);
    expect(ds.classes).toBe(2);
    let ones = 0;
    for (let i = 0; i < 40; i++) {
      const bits = Array.from(ds.x.data.slice(i * 7, (i + 1) * 7));
      bits.forEach((b) => expect([0, 1]).toContain(b));
      expect(ds.y.data[i]).toBe(bits.reduce((a, b) => a + b, 0) % 2);
      ones += ds.y.data[i];
    }
    expect(ones).toBeGreaterThan(5);
    expect(ones).toBeLessThan(35);
  });

  it("rejects bad sizes", () => {
    expect(() => data.addingProblem({ length: 1 })).toThrow(/length/);
    expect(() => data.parity({ n: 0 })).toThrow(/n must be/);
  });
});
