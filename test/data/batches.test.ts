/** Minibatch iteration: coverage, the last partial batch, per-epoch seeded order, and splits. */
import { describe, expect, it } from "vitest";
import { Random, Tensor } from "../../src/engine";
import { batches, epochRandom, take, trainTestSplit, type Dataset } from "../../src/data";

/** Row i has x = [i, 10i] and y = i, so a batch tells which rows it holds. */
function indexed(n: number): Dataset {
  const x = new Tensor(new Float64Array(2 * n), [n, 2]);
  const y = new Tensor(new Float64Array(n), [n]);
  for (let i = 0; i < n; i++) {
    x.data[2 * i] = i;
    x.data[2 * i + 1] = 10 * i;
    y.data[i] = i;
  }
  return { x, y, classes: n };
}
const rowsOf = (ds: Dataset) => Array.from(ds.y.data);

describe("batches", () => {
  it("cover every row exactly once per epoch, keeping x and y aligned, with a smaller last batch", () => {
    const ds = indexed(10);
    const bs = [...batches(ds, { batchSize: 4, seed: 3 })];
    expect(bs.map((b) => b.x.shape[0])).toEqual([4, 4, 2]);
    const seen = bs.flatMap(rowsOf);
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(seen).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]); // shuffled
    for (const b of bs) {
      for (let r = 0; r < b.x.shape[0]; r++) {
        expect(b.x.data[2 * r]).toBe(b.y.data[r]);
        expect(b.x.data[2 * r + 1]).toBe(10 * b.y.data[r]);
      }
    }
  });

  it("dropLast drops the partial batch; shuffle: false keeps the order", () => {
    const ds = indexed(10);
    expect([...batches(ds, { batchSize: 4, dropLast: true })].map((b) => b.x.shape[0])).toEqual([4, 4]);
    expect([...batches(ds, { batchSize: 3, shuffle: false })].map(rowsOf)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect([...batches(ds, { batchSize: 100 })].map((b) => b.x.shape[0])).toEqual([10]);
    expect(() => [...batches(ds, { batchSize: 0 })]).toThrow(/batchSize/);
  });

  it("a different order each epoch, the same order for the same (seed, epoch)", () => {
    const ds = indexed(20);
    const order = (seed: number, epoch: number) => [...batches(ds, { batchSize: 5, seed, epoch })].flatMap(rowsOf);
    expect(order(1, 0)).toEqual(order(1, 0));
    expect(order(1, 0)).not.toEqual(order(1, 1));
    expect(order(1, 1)).not.toEqual(order(1, 2));
    expect(order(1, 0)).not.toEqual(order(2, 0));
    // Epoch 0 of seed s is new Random(s): compatible with callers that seeded the generator themselves.
    expect(order(7, 0)).toEqual([...batches(ds, { batchSize: 5, rng: new Random(7) })].flatMap(rowsOf));
    expect(Array.from(epochRandom(7, 0).permutation(20))).toEqual(Array.from(new Random(7).permutation(20)));
  });

  it("a shared generator advances, so consecutive epochs differ", () => {
    const ds = indexed(20);
    const rng = new Random(4);
    const e1 = [...batches(ds, { batchSize: 5, rng })].flatMap(rowsOf);
    const e2 = [...batches(ds, { batchSize: 5, rng })].flatMap(rowsOf);
    expect(e1).not.toEqual(e2);
    expect([...e2].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("take copies the chosen rows", () => {
    const t = take(indexed(5), [4, 0]);
    expect(Array.from(t.x.data)).toEqual([4, 40, 0, 0]);
    expect(t.classes).toBe(5);
  });
});

describe("trainTestSplit", () => {
  it("partitions the rows (disjoint, complete) with the training share given, seeded", () => {
    const ds = indexed(10);
    const s = trainTestSplit(ds, 0.8, 1);
    expect(s.train.x.shape[0]).toBe(8);
    expect(s.test.x.shape[0]).toBe(2);
    expect(s.validation).toBe(s.test);
    const all = [...rowsOf(s.train), ...rowsOf(s.test)].sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(rowsOf(trainTestSplit(ds, 0.8, 1).test)).toEqual(rowsOf(s.test));
    expect(rowsOf(trainTestSplit(ds, 0.8, 2).test)).not.toEqual(rowsOf(s.test));
    expect(trainTestSplit(ds, 0.99, 0).test.x.shape[0]).toBe(1); // both sides keep a row
    expect(() => trainTestSplit(ds, 1)).toThrow(/training share/);
  });
});
