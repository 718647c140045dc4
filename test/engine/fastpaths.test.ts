/**
 * Ops with fast paths (equal shapes, a row broadcast over a batch) must agree bit for bit with the
 * general broadcasting path they shortcut: a [c] operand is reshaped to [1, c] to force the general path.
 * The specialized unary loops are checked against the plain formulas.
 */
import { describe, expect, it } from "vitest";
import { ops, Random, Tensor } from "../../src/engine";

const rng = new Random(5);
const randT = (shape: number[], f32 = false) => {
  const n = shape.reduce((x, y) => x * y, 1);
  const d = f32 ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.range(-2, 2);
  return new Tensor(d, shape, true);
};
const clone = (t: Tensor) => new Tensor(t.data.slice(), t.shape, true);

/** Runs f on fresh copies and returns the output and the input gradients (weighted sum as the loss). */
function run(f: (a: Tensor, b: Tensor) => Tensor, a: Tensor, b: Tensor) {
  const [x, y] = [clone(a), clone(b)];
  const out = f(x, y);
  const w = new Tensor(out.data.map((_, i) => Math.sin(i) + 1.5), out.shape);
  out.mul(w).sum().backward();
  return { out: [...out.data], ga: [...x.grad!.data], gb: [...y.grad!.data] };
}

describe("binary fast paths match the general path exactly", () => {
  for (const f32 of [false, true]) {
    for (const [name, f] of [["add", ops.add], ["sub", ops.sub], ["mul", ops.mul]] as const) {
      it(`${name} ${f32 ? "float32" : "float64"}: row broadcast [r, c] with [c]`, () => {
        const a = randT([5, 7], f32);
        const b = randT([7], f32);
        const fast = run(f, a, b);
        const general = run((x, y) => f(x, y.reshape([1, 7])), a, b);
        expect(fast).toEqual(general);
      });
      it(`${name} ${f32 ? "float32" : "float64"}: equal shapes`, () => {
        const a = randT([4, 6], f32);
        const b = randT([4, 6], f32);
        const fast = run(f, a, b);
        // [4, 6] against [4, 1, 6]… is not the same op; force the general path with a size-1 leading axis.
        const general = run((x, y) => f(x.reshape([1, 4, 6]), y.reshape([4, 6])).reshape([4, 6]), a, b);
        expect(fast).toEqual(general);
      });
    }
  }
});

describe("a single-element operand broadcasts without an index map", () => {
  for (const [name, f, fwd, db] of [
    ["mul", ops.mul, (x: number, y: number) => x * y, (x: number) => x],
    ["sub", ops.sub, (x: number, y: number) => x - y, () => -1],
    ["div", ops.div, (x: number, y: number) => x / y, (_x: number, y: number, o: number) => -o / y],
  ] as const) {
    for (const bShape of [[], [1], [1, 1]]) {
      it(`${name} [3, 4] with a scalar of shape [${bShape}]: values and the scalar's gradient summed in order`, () => {
        const a = randT([3, 4]);
        const b = new Tensor(new Float64Array([1.7]), bShape, true);
        const up = new Tensor(new Float64Array(12).map(() => rng.range(-1, 1)), [3, 4]);
        const y = f(a, b);
        y.backward(up);
        let gb = 0;
        for (let i = 0; i < 12; i++) {
          expect(y.data[i]).toBe(fwd(a.data[i], 1.7));
          gb += up.data[i] * db(a.data[i], 1.7, y.data[i]);
        }
        expect(b.grad!.data[0]).toBe(gb);
      });
    }
  }
});

describe("specialized unary loops", () => {
  const cases: Array<[string, (x: Tensor) => Tensor, (v: number) => number, (v: number, y: number) => number, number, number]> = [
    ["exp", ops.exp, Math.exp, (_v, y) => y, -3, 3],
    ["log", ops.log, Math.log, (v) => 1 / v, 0.1, 4],
    ["sigmoid", ops.sigmoid, (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))), (_v, y) => y * (1 - y), -30, 30],
    ["tanh", ops.tanh, Math.tanh, (_v, y) => 1 - y * y, -4, 4],
  ];
  for (const [name, op, f, d, lo, hi] of cases) {
    it(`${name}: forward and backward equal the formulas`, () => {
      const x = new Tensor(new Float64Array(50).map(() => rng.range(lo, hi)), [50], true);
      const up = new Tensor(new Float64Array(50).map(() => rng.range(-1, 1)), [50]);
      const y = op(x);
      y.backward(up);
      for (let i = 0; i < 50; i++) {
        const yi = f(x.data[i]);
        expect(y.data[i]).toBe(yi);
        expect(x.grad!.data[i]).toBe(0 + up.data[i] * d(x.data[i], yi));
      }
    });
  }
});
