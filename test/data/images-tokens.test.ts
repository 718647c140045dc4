/** Image augmentation on NCHW batches (randomCrop, horizontalFlip) and the brackets token task. */
import { describe, expect, it } from "vitest";
import { Tensor } from "../../src/engine";
import { brackets, gaussianNoise, horizontalFlip, isBalanced, randomCrop, type Dataset } from "../../src/data";

/** Two 2-channel 3×4 images whose pixel values are their own flat index + 1 (no zeros). */
const images = (): Dataset => {
  const x = new Tensor(Float64Array.from({ length: 2 * 2 * 3 * 4 }, (_, i) => i + 1), [2, 2, 3, 4]);
  return { x, y: new Tensor(Float64Array.from([0, 1]), [2]) };
};
const img = (t: Tensor, n: number, c: number) => {
  const [, C, H, W] = t.shape;
  return Array.from({ length: H }, (_, r) => Array.from(t.data.slice(((n * C + c) * H + r) * W, ((n * C + c) * H + r + 1) * W)));
};

describe("randomCrop", () => {
  it("shifts each image by one offset in [−padding, padding] shared by its channels, filling with zeros", () => {
    const batch = images();
    const out = randomCrop(1, { seed: 3 })(batch, 0);
    expect(out.x.shape).toEqual([2, 2, 3, 4]);
    expect(out.y).toBe(batch.y);
    expect(Array.from(batch.x.data)).toEqual(Array.from({ length: 48 }, (_, i) => i + 1)); // input untouched
    for (let n = 0; n < 2; n++) {
      // Recover the offset from channel 0 and check both channels against a hand-written shift.
      const src = img(batch.x, n, 0);
      const got0 = img(out.x, n, 0);
      const shifts: Array<[number, number]> = [];
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const want = src.map((row, r) => row.map((_, q) => src[r + dy]?.[q + dx] ?? 0));
        if (JSON.stringify(want) === JSON.stringify(got0)) shifts.push([dy, dx]);
      }
      expect(shifts.length).toBe(1);
      const [dy, dx] = shifts[0];
      const src1 = img(batch.x, n, 1);
      expect(img(out.x, n, 1)).toEqual(src1.map((row, r) => row.map((_, q) => src1[r + dy]?.[q + dx] ?? 0)));
    }
  });

  it("draws the same crop for the same (seed, step), covers every offset, and is the identity at padding 0", () => {
    const batch = { x: new Tensor(Float64Array.from({ length: 400 * 9 }, (_, i) => 1 + (i % 9)), [400, 1, 3, 3]), y: new Tensor(new Float64Array(400), [400]) };
    const a = randomCrop(1, { seed: 1 })(batch, 5);
    expect(Array.from(randomCrop(1, { seed: 1 })(batch, 5).x.data)).toEqual(Array.from(a.x.data));
    expect(Array.from(randomCrop(1, { seed: 1 })(batch, 6).x.data)).not.toEqual(Array.from(a.x.data));
    // Each 3×3 image 1..9 shifted by (dy, dx) keeps (3 − |dy|)(3 − |dx|) pixels: 9, 6 or 4 nonzero.
    const kept = new Set<number>();
    const centers = new Set<number>();
    for (let n = 0; n < 400; n++) {
      const px = Array.from(a.x.data.slice(n * 9, n * 9 + 9));
      kept.add(px.filter((v) => v !== 0).length);
      centers.add(px[4]); // the centre pixel reads source (1 + dy, 1 + dx): value 5 + 3dy + dx
    }
    expect([...kept].sort()).toEqual([4, 6, 9]);
    expect([...centers].sort((p, q) => p - q)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(randomCrop(0)(batch, 0).x.data)).toEqual(Array.from(batch.x.data));
  });

  it("refuses a non-image batch and a bad padding", () => {
    expect(() => randomCrop(1)({ x: new Tensor(new Float64Array(4), [2, 2]), y: new Tensor(new Float64Array(2), [2]) }, 0)).toThrow(/NCHW image batch \[N, C, H, W\], got shape \[2, 2\]/);
    expect(() => randomCrop(-1)).toThrow(/padding must be an integer ≥ 0, got -1/);
  });
});

describe("horizontalFlip", () => {
  it("mirrors whole images (every channel) left to right, or leaves them as they are", () => {
    const batch = images();
    const flipAll = horizontalFlip({ p: 1 })(batch, 0);
    expect(img(flipAll.x, 0, 0)).toEqual([[4, 3, 2, 1], [8, 7, 6, 5], [12, 11, 10, 9]]);
    expect(img(flipAll.x, 1, 1)).toEqual([[40, 39, 38, 37], [44, 43, 42, 41], [48, 47, 46, 45]]);
    expect(Array.from(horizontalFlip({ p: 0 })(batch, 0).x.data)).toEqual(Array.from(batch.x.data));
  });

  it("flips about half of the images at p = 0.5, the same ones for the same (seed, step)", () => {
    const batch = { x: new Tensor(Float64Array.from({ length: 1000 * 2 }, (_, i) => i % 2), [1000, 1, 1, 2]), y: new Tensor(new Float64Array(1000), [1000]) };
    const a = horizontalFlip({ seed: 4 })(batch, 2);
    let flipped = 0;
    for (let n = 0; n < 1000; n++) {
      const [l, r] = [a.x.data[2 * n], a.x.data[2 * n + 1]];
      expect(l + r).toBe(1);
      if (l === 1) flipped++;
    }
    expect(flipped).toBeGreaterThan(450);
    expect(flipped).toBeLessThan(550);
    expect(Array.from(horizontalFlip({ seed: 4 })(batch, 2).x.data)).toEqual(Array.from(a.x.data));
  });

  it("composes with gaussianNoise for an image pipeline and refuses a bad p", () => {
    const out = gaussianNoise(0.01, { seed: 1 })(horizontalFlip({ p: 1 })(images(), 0), 0);
    expect(out.x.shape).toEqual([2, 2, 3, 4]);
    expect(Math.abs(out.x.data[0] - 4)).toBeLessThan(0.05);
    expect(() => horizontalFlip({ p: 2 })).toThrow(/p must be in \[0, 1\], got 2/);
  });
});

describe("brackets", () => {
  it("labels every sequence by whether it is balanced, as an independent stack check says", () => {
    for (const kinds of [1, 2] as const) {
      const ds = brackets({ n: 2000, length: 12, kinds, seed: 7 });
      expect(ds.x.shape).toEqual([2000, 12]);
      expect(ds.vocab).toBe(1 + 2 * kinds);
      let ones = 0;
      for (let i = 0; i < 2000; i++) {
        const row = Array.from(ds.x.data.slice(i * 12, i * 12 + 12));
        // A hand-written check: depth per kind via a stack of opening ids.
        const stack: number[] = [];
        let ok = true;
        for (const t of row.filter((v) => v !== 0)) {
          if (t === 1 || t === 3) stack.push(t);
          else if (stack.pop() !== t - 1) ok = false;
        }
        ok = ok && stack.length === 0;
        expect(ds.y.data[i]).toBe(ok ? 1 : 0);
        expect(isBalanced(row)).toBe(ok);
        ones += ds.y.data[i];
        // Left padding: zeros, then an even number of tokens of the vocabulary, the last step never padding.
        const first = row.findIndex((v) => v !== 0);
        expect(row.slice(0, first).every((v) => v === 0)).toBe(true);
        expect(row.slice(first).every((v) => Number.isInteger(v) && v >= 1 && v < ds.vocab)).toBe(true);
        expect((12 - first) % 2).toBe(0);
      }
      expect(ones).toBeGreaterThan(900);
      expect(ones).toBeLessThan(1100);
    }
  });

  it("has unbalanced strings that counting alone cannot tell apart, and is seeded", () => {
    const ds = brackets({ n: 1000, seed: 3 });
    let equalCounts = 0;
    for (let i = 0; i < 1000; i++) {
      if (ds.y.data[i] === 1) continue;
      const row = Array.from(ds.x.data.slice(i * 16, i * 16 + 16));
      if (row.filter((v) => v === 1).length === row.filter((v) => v === 2).length) equalCounts++;
    }
    expect(equalCounts).toBeGreaterThan(150);
    expect(Array.from(brackets({ n: 1000, seed: 3 }).x.data)).toEqual(Array.from(ds.x.data));
    expect(Array.from(brackets({ n: 1000, seed: 4 }).x.data)).not.toEqual(Array.from(ds.x.data));
    expect(brackets({ n: 1 }).x.shape).toEqual([1, 16]);
  });

  it("spells out bad options", () => {
    expect(() => brackets({ length: 7 })).toThrow(/length must be even, got 7/);
    expect(() => brackets({ kinds: 3 as 1 })).toThrow(/kinds must be 1 or 2, got 3/);
    expect(() => brackets({ n: 0 })).toThrow(/n must be an integer ≥ 1, got 0/);
  });
});
