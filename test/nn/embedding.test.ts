/**
 * nn.Embedding and ops.embedding: the lookup and its scatter-add gradient against TensorFlow.js's gather
 * and its gradient on identical weights; PyTorch's init and padding row; the errors on bad ids.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { nn, ops, Random, Tensor, tensor } from "../../src";
// @ts-expect-error an untyped ES module shared with the benchmarks
import { loadTfjs } from "../../bench/load.mjs";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
let tf: any;
beforeAll(async () => {
  // tfjs-core with every gradient registered (its Node build ships without them).
  tf = await loadTfjs(process.cwd());
  await tf.setBackend("cpu");
}, 60_000);

describe("nn.Embedding against TensorFlow.js gather", () => {
  it("looks up rows of any id shape and accumulates the gradient of repeated ids, as tf.gather does", async () => {
    const emb = new nn.Embedding(7, 3, { rng: new Random(5) });
    const ids = tensor([[[1, 4, 1], [6, 0, 1]], [[2, 2, 2], [3, 5, 6]]]); // (2, 2, 3), 1 and 2 repeated
    const out = emb.call(ids);
    expect(out.shape).toEqual([2, 2, 3, 3]);
    // A loss with a different weight per output entry, so every entry's gradient differs.
    const coef = new Tensor(Float64Array.from({ length: out.size }, (_, i) => Math.sin(i + 1)), out.shape);
    out.mul(coef).sum().backward();

    const w = tf.tensor2d(Array.from(emb.weight.data), [7, 3]);
    const tfIds = tf.tensor(Array.from(ids.data), ids.shape, "int32");
    const tfCoef = tf.tensor(Array.from(coef.data), coef.shape);
    const tfOut = tf.gather(w, tfIds);
    const grad = tf.grad((x: unknown) => tf.sum(tf.mul(tf.gather(x, tfIds), tfCoef)))(w);
    expect(tfOut.shape).toEqual(out.shape);
    const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).forEach((v, i) => expect(v).toBeCloseTo(b[i], 5));
    close(out.data, await tfOut.data());
    close(emb.weight.grad!.data, await grad.data());
    // Row 1 appears three times, row 2 three times; rows never looked up get exactly zero.
    expect(emb.weight.grad!.data[0 * 3]).not.toBe(0);
    for (const id of [0, 1, 2, 3, 4, 5, 6]) {
      const used = Array.from(ids.data).includes(id);
      expect(Array.from(emb.weight.grad!.data.slice(id * 3, id * 3 + 3)).some((v) => v !== 0)).toBe(used);
    }
  });
});

describe("nn.Embedding init and padding", () => {
  it("initializes from N(0, 1) (PyTorch's default): mean ≈ 0, std ≈ 1 over 20,000 entries", () => {
    const w = Array.from(new nn.Embedding(1000, 20, { rng: new Random(1) }).weight.data);
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(std - 1)).toBeLessThan(0.02);
  });

  it("zeroes the padding row, looks up zeros for the padding id, and gives its row no gradient however often it occurs", () => {
    const emb = new nn.Embedding(5, 2, { paddingIdx: -1, rng: new Random(2) });
    expect(emb.paddingIdx).toBe(4);
    expect(Array.from(emb.weight.data.slice(8, 10))).toEqual([0, 0]);
    const out = emb.call(tensor([4, 1, 4, 4, 3]));
    expect(Array.from(out.data.slice(0, 2))).toEqual([0, 0]);
    out.sum().backward();
    const g = Array.from(emb.weight.grad!.data);
    expect(g).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0]);
    // Even a padding row set to nonzero values is not read: the output's derivative with respect to it is
    // zero, which is what the backward rule says (a numeric gradient check agrees).
    emb.weight.data.fill(7, 8, 10);
    expect(Array.from(emb.call(tensor([4, 1])).data.slice(0, 2))).toEqual([0, 0]);
  });

  it("keeps float32 when asked", () => {
    const emb = new nn.Embedding(4, 2, { dtype: "float32" });
    expect(emb.weight.dtype).toBe("float32");
    expect(emb.call(tensor([0, 3])).dtype).toBe("float32");
  });
});

describe("nn.Embedding errors name the bad value", () => {
  const emb = new nn.Embedding(4, 2);
  it("refuses non-integral and out-of-range ids", () => {
    expect(() => emb.call(tensor([0, 1.5]))).toThrow(/index 1\.5 at position 1 is not an integer/);
    expect(() => emb.call(tensor([[0, 4]]))).toThrow(/index 4 at position 1 is out of range for 4 embeddings/);
    expect(() => emb.call(tensor([-1]))).toThrow(/index -1 at position 0 is out of range/);
    expect(() => emb.call(tensor([NaN]))).toThrow(/index NaN/);
  });
  it("refuses bad sizes and padding rows", () => {
    expect(() => new nn.Embedding(0, 2)).toThrow(/numEmbeddings must be a positive integer, got 0/);
    expect(() => new nn.Embedding(4, 2.5)).toThrow(/dim must be a positive integer, got 2.5/);
    expect(() => new nn.Embedding(4, 2, { paddingIdx: 4 })).toThrow(/paddingIdx 4 is out of range for 4 embeddings/);
    expect(() => ops.embedding(tensor([0]), tensor([1, 2]))).toThrow(/weight must be \[numEmbeddings, dim\]/);
  });
});
