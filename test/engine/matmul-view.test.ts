/**
 * Transposed operands of matmul: `x.transpose()` is a view that gemm reads with its transpose flag and
 * never copies, forward or backward. Checked against products written out by the definition, with a
 * spy on the kernel to see which flags it received and whether the view's values were ever written.
 */
import { afterEach, describe, expect, it } from "vitest";
import { kernels, ops, Random, setKernels, Tensor, type FloatArray, type Kernels } from "../../src/engine";

const rng = new Random(31);
const randT = (shape: number[], f32 = false) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = f32 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.range(-1, 1);
  return new Tensor(d, shape);
};

/** x [..., r, c] → [..., c, r] by the definition. */
function transposed(x: Tensor): Tensor {
  const [r, c] = x.shape.slice(-2);
  const batch = x.size / (r * c);
  const out = new Float64Array(x.size);
  for (let b = 0; b < batch; b++) for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[b * r * c + j * r + i] = x.data[b * r * c + i * c + j];
  return new Tensor(out, [...x.shape.slice(0, -2), c, r]);
}

/** a [B?, m, k] · b [B?, k, n] by the definition (same batch or none). */
function product(a: Tensor, b: Tensor): Float64Array {
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.ndim - 1];
  const batch = a.size / (m * k);
  const out = new Float64Array(batch * m * n);
  for (let t = 0; t < batch; t++) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.data[t * m * k + i * k + p] * b.data[t * k * n + p * n + j];
        out[t * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(tol * (1 + Math.abs(expected[i])));
}

/** Records the transpose flags of every gemm call. */
const original = kernels;
function spyGemm(): Array<[boolean, boolean]> {
  const calls: Array<[boolean, boolean]> = [];
  const spy: Kernels = {
    ...original,
    gemm(a: FloatArray, aOff, ta, b: FloatArray, bOff, tb, c: FloatArray, cOff, m, k, n, acc) {
      calls.push([ta, tb]);
      original.gemm(a, aOff, ta, b, bOff, tb, c, cOff, m, k, n, acc);
    },
  };
  setKernels(spy);
  return calls;
}
afterEach(() => setKernels(original));

describe("matmul with transposed views", () => {
  it("aᵀ·b: gemm gets transA, the view is never filled, gradients match the definition", () => {
    const x = randT([7, 5]); // a = xᵀ is 5×7
    const b = randT([7, 6]);
    x.requiresGrad = b.requiresGrad = true;
    const calls = spyGemm();
    const a = x.transpose();
    const y = ops.matmul(a, b);
    const g = randT([5, 6]);
    y.backward(g);
    expect(calls).toEqual([[true, false], [false, true], [false, false]]);
    expect(a._fill).not.toBeNull(); // nothing read the view's values
    expectClose(y.data, product(transposed(x), b));
    // dx = (g·bᵀ)ᵀ = b·gᵀ; db = a ᵀ·g = x·g
    expectClose(x.grad!.data, transposed(new Tensor(product(g, transposed(b)), [5, 7])).data);
    expectClose(b.grad!.data, product(x, g));
    expect(a.grad).toBeNull();
  });

  it("batched q·kᵀ: gemm gets transB per batch, gradients match the definition", () => {
    const q = randT([3, 4, 8]);
    const k = randT([3, 5, 8]);
    q.requiresGrad = k.requiresGrad = true;
    const calls = spyGemm();
    const kt = k.transpose();
    const s = ops.matmul(q, kt);
    const g = randT([3, 4, 5]);
    s.backward(g);
    expect(calls.slice(0, 3)).toEqual([[false, true], [false, true], [false, true]]);
    expect(kt._fill).not.toBeNull();
    expectClose(s.data, product(q, transposed(k)));
    expectClose(q.grad!.data, product(g, k)); // dq = g·k
    expectClose(k.grad!.data, product(transposed(g), q)); // dk = gᵀ·q
  });

  it("float32 views give the float32 product of the copies", () => {
    const x = randT([9, 12], true);
    const b = randT([12, 9], true);
    const viaView = ops.matmul(x.transpose(), b.transpose());
    const copies = (t: Tensor) => new Tensor(Float32Array.from(transposed(t).data), [t.shape[1], t.shape[0]]);
    const viaCopy = ops.matmul(copies(x), copies(b));
    expect(viaView.dtype).toBe("float32");
    expectClose(viaView.data, viaCopy.data, 1e-6);
  });

  it("reading the view's values fills them once, as a transpose", () => {
    const x = randT([2, 3, 4]);
    const v = ops.transpose(x);
    expect(v.shape).toEqual([2, 4, 3]);
    expect(Array.from(v.data)).toEqual(Array.from(transposed(x).data));
    expect(v._fill).toBeNull();
  });

  it("a hook on the view still sees the view's gradient (the gradient then goes through the view)", () => {
    const x = randT([4, 3]);
    const b = randT([4, 2]);
    x.requiresGrad = true;
    const a = x.transpose();
    let seen: Float64Array | null = null;
    a.registerHook((grad) => { seen = Float64Array.from(grad.data); });
    const g = randT([3, 2]);
    ops.matmul(a, b).backward(g);
    const expectedA = product(g, transposed(b)); // da = g·bᵀ, 3×4
    expectClose(seen!, expectedA);
    expectClose(x.grad!.data, transposed(new Tensor(expectedA, [3, 4])).data);
  });

  it("retainGrad on the view keeps its gradient", () => {
    const x = randT([4, 3]);
    const b = randT([4, 2]);
    x.requiresGrad = true;
    const a = x.transpose().retainGrad();
    const g = randT([3, 2]);
    ops.matmul(a, b).backward(g);
    expectClose(a.grad!.data, product(g, transposed(b)));
    expectClose(x.grad!.data, transposed(a.grad!).data);
  });

  it("a view made into a leaf (requiresGrad set by hand) gets its own gradient", () => {
    const x = randT([4, 3]);
    const a = x.transpose();
    a.requiresGrad = true;
    const b = randT([4, 2]);
    const g = randT([3, 2]);
    ops.matmul(a, b).backward(g);
    expectClose(a.grad!.data, product(g, transposed(b)));
    expect(x.grad).toBeNull();
  });
});
