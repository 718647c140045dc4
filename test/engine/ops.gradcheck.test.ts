/**
 * Every registered op's backward rule against central differences in float64, on random shapes
 * (broadcast shapes included). The table below must name every op in the registry: a new op without
 * a gradient check fails the first test. The same walk checks what each op's registration tells the
 * debugger: its kinks (probed on both sides of one) and the non-finite values it can make (probed on a
 * case that must make one; ops that declare none stay finite on inputs of ±500 and exact zeros).
 */
import { describe, expect, it } from "vitest";
import { addOpObserver, getOp, listOps, noGrad, ops, Random, Tensor, tensor, defineOp } from "../../src/engine";
import { checkAgainstNumeric } from "../helpers/numeric";
import { cases as convCases, kinkProbes as convKinkProbes, nonFiniteProbes as convNonFiniteProbes } from "./opcases/conv";
import * as activationCases from "./opcases/activations";
import * as mathCases from "./opcases/math";
import * as reduceCases from "./opcases/reduce";
import * as layoutCases from "./opcases/layout";
import * as compositeCases from "./opcases/composite";
import * as tapCases from "./opcases/tap";
import { cases as embeddingCases } from "./opcases/embedding";

const groups = [activationCases, mathCases, reduceCases, layoutCases, compositeCases, tapCases];

const rng = new Random(1234);
const dim = () => 1 + rng.int(4);
const randT = (shape: number[], lo = -2, hi = 2) => {
  const t = new Tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.range(lo, hi);
  return t;
};
/** Values kept away from kinks (|x| ≥ 0.1) so a central difference never straddles one. */
const awayFromZero = (shape: number[]) => {
  const t = randT(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = Math.sign(t.data[i] || 1) * (0.1 + Math.abs(t.data[i]));
  return t;
};
const positive = (shape: number[]) => randT(shape, 0.2, 3);
/** A random shape of rank 1–3 and a second shape that broadcasts against it. */
function broadcastPair(): [number[], number[]] {
  const rank = 1 + rng.int(3);
  const a = Array.from({ length: rank }, dim);
  const b = a.slice(rng.int(rank)).map((d) => (rng.uniform() < 0.4 ? 1 : d));
  return rng.uniform() < 0.5 ? [a, b] : [b, a];
}
const distinct = (shape: number[]) => {
  // Distinct values, so max/argmax have no ties.
  const t = randT(shape);
  const perm = rng.permutation(t.size);
  for (let i = 0; i < t.size; i++) t.data[i] = (perm[i] - t.size / 2) * 0.37 + 0.01;
  return t;
};

type Case = () => { f: (...xs: Tensor[]) => Tensor; inputs: Tensor[]; eps?: number };

const cases: Record<string, Case> = {
  add: () => { const [a, b] = broadcastPair(); return { f: (x, y) => ops.add(x, y), inputs: [randT(a), randT(b)] }; },
  sub: () => { const [a, b] = broadcastPair(); return { f: (x, y) => ops.sub(x, y), inputs: [randT(a), randT(b)] }; },
  mul: () => { const [a, b] = broadcastPair(); return { f: (x, y) => ops.mul(x, y), inputs: [randT(a), randT(b)] }; },
  div: () => { const [a, b] = broadcastPair(); return { f: (x, y) => ops.div(x, y), inputs: [randT(a), positive(b)] }; },
  pow: () => { const [a, b] = broadcastPair(); return { f: (x, y) => ops.pow(x, y), inputs: [positive(a), randT(b, -1.5, 2.5)] }; },
  maximum: () => { const [a, b] = broadcastPair(); return { f: (x, y) => ops.maximum(x, y), inputs: [randT(a), randT(b).mul(0).add(0.05)] }; },
  neg: () => ({ f: (x) => ops.neg(x), inputs: [randT([dim(), dim()])] }),
  exp: () => ({ f: (x) => ops.exp(x), inputs: [randT([dim(), dim()])] }),
  log: () => ({ f: (x) => ops.log(x), inputs: [positive([dim(), dim()])] }),
  sqrt: () => ({ f: (x) => ops.sqrt(x), inputs: [positive([dim(), dim()])] }),
  abs: () => ({ f: (x) => ops.abs(x), inputs: [awayFromZero([dim(), dim()])] }),
  relu: () => ({ f: (x) => ops.relu(x), inputs: [awayFromZero([dim(), dim(), dim()])] }),
  leakyRelu: () => ({ f: (x) => ops.leakyRelu(x, 0.1), inputs: [awayFromZero([dim(), dim()])] }),
  sigmoid: () => ({ f: (x) => ops.sigmoid(x), inputs: [randT([dim(), dim()], -6, 6)] }),
  tanh: () => ({ f: (x) => ops.tanh(x), inputs: [randT([dim(), dim()])] }),
  softplus: () => ({ f: (x) => ops.softplus(x), inputs: [randT([dim(), dim()], -8, 8)] }),
  clamp: () => ({ f: (x) => ops.clamp(x, -0.5, 0.7), inputs: [distinct([dim(), dim()]).mul(1).add(0.003)] }),
  where: () => {
    const [a, b] = broadcastPair();
    const cond = randT(a).gt(0);
    return { f: (x, y) => ops.where(cond, x, y), inputs: [randT(a), randT(b)] };
  },
  // float32 rounding (~1e-7 relative) swamps a 1e-6 step; a 1e-2 step measures the identity rule.
  cast: () => ({ f: (x) => ops.cast(ops.cast(x, "float32").mul(3), "float64"), inputs: [randT([dim(), dim()])], eps: 1e-2 }),
  matmul: () => {
    const m = dim(), k = dim(), n = dim();
    if (rng.uniform() < 0.5) return { f: (x, y) => ops.matmul(x, y), inputs: [randT([m, k]), randT([k, n])] };
    const batch = dim();
    // Batched, with the second operand broadcast over the batch.
    return { f: (x, y) => ops.matmul(x, y), inputs: [randT([batch, m, k]), randT([1, k, n])] };
  },
  // Transposed operands reach gemm as views (no copy) and send their gradient straight to the source.
  "matmul aᵀ·b": () => {
    const m = dim(), k = dim(), n = dim();
    return { f: (x, y) => ops.matmul(x.transpose(), y), inputs: [randT([k, m]), randT([k, n])] };
  },
  "matmul a·bᵀ, batched": () => {
    const m = dim(), k = dim(), n = dim(), batch = dim();
    return { f: (x, y) => ops.matmul(x, ops.transpose(y)), inputs: [randT([batch, m, k]), randT([batch, n, k])] };
  },
  "matmul aᵀ·bᵀ, batched, b broadcast": () => {
    const m = dim(), k = dim(), n = dim(), batch = dim();
    return { f: (x, y) => ops.matmul(x.transpose(-1, -2), y.transpose()), inputs: [randT([batch, k, m]), randT([1, n, k])] };
  },
  "matmul xᵀ·x (one tensor, both sides)": () => {
    const m = dim(), k = dim();
    return { f: (x) => ops.matmul(x.transpose(), x), inputs: [randT([k, m])] };
  },
  "matmul aᵀ·b with the view also used elsewhere": () => {
    const m = dim(), k = dim();
    const f = (x: Tensor, y: Tensor) => {
      const xt = x.transpose();
      return ops.add(ops.matmul(xt, y), xt.mul(xt).sum());
    };
    return { f, inputs: [randT([k, m]), randT([k, m])] };
  },
  transpose: () => ({ f: (x) => ops.transpose(x).mul(ops.transpose(x).exp()), inputs: [randT([dim(), dim(), dim()])] }),
  sum: () => { const axes = rng.uniform() < 0.5 ? undefined : [0, 2]; return { f: (x) => ops.sum(x, axes, true), inputs: [randT([dim(), dim(), dim()])] }; },
  mean: () => ({ f: (x) => ops.mean(x, -1), inputs: [randT([dim(), dim(), dim()])] }),
  max: () => ({ f: (x) => ops.max(x, 1, true), inputs: [distinct([dim(), 2 + dim(), dim()])] }),
  logSumExp: () => ({ f: (x) => ops.logSumExp(x, -1), inputs: [randT([dim(), dim() + 1], -5, 5)] }),
  reshape: () => ({ f: (x) => ops.reshape(x, [-1]).mul(ops.reshape(x, [-1])), inputs: [randT([dim(), dim(), dim()])] }),
  permute: () => ({ f: (x) => ops.permute(x, [2, 0, 1]), inputs: [randT([dim(), dim(), dim()])] }),
  slice: () => ({ f: (x) => ops.slice(x, 1, 1, -1), inputs: [randT([dim(), 3 + dim()])] }),
  concat: () => ({ f: (x, y) => ops.concat([x, y, x], 1), inputs: [randT([2, dim()]), randT([2, dim()])] }),
  gather: () => ({ f: (x) => ops.gather(x, [2, 0, 2, 1], 1), inputs: [randT([dim(), 3, dim()])] }),
  takeAlong: () => ({ f: (x) => ops.takeAlong(x, tensor([[2], [0], [1], [2]]), 1), inputs: [randT([4, 3])] }),
  broadcastTo: () => ({ f: (x) => ops.broadcastTo(x, [3, 2, 4]), inputs: [randT([2, 1])] }),
  ...convCases,
  ...Object.assign({}, ...groups.map((g) => g.cases)),
  ...embeddingCases,
};

/** Ops with no gradient: checked for the absence of one. */
const nonDifferentiable = new Set(["gt", "lt", "eq", "argmax", ...layoutCases.nonDifferentiable]);

describe("op registry", () => {
  it("has a gradient check for every built-in op", () => {
    const missing = listOps()
      .filter((op) => op.kind !== "custom" && op.differentiable && !(op.name in cases))
      .map((op) => op.name);
    expect(missing).toEqual([]);
    const undeclared = listOps().filter((op) => !op.differentiable && !nonDifferentiable.has(op.name)).map((o) => o.name);
    expect(undeclared).toEqual([]);
  });
});

describe("backward rules match central differences in float64", () => {
  for (const [name, make] of Object.entries(cases)) {
    it(`${name} on 5 random shapes`, () => {
      for (let trial = 0; trial < 5; trial++) {
        const { f, inputs, eps } = make();
        const result = checkAgainstNumeric(f, inputs, { eps });
        expect(result.worstExcess, `${name}: inputs ${inputs.map((t) => `[${t.shape}]`).join(" ")} maxRel ${result.maxRelError}`).toBeLessThanOrEqual(0);
      }
    });
  }

  it("non-differentiable ops produce outputs that do not require grad", () => {
    const x = tensor([[1, 3], [2, 0]], { requiresGrad: true });
    for (const y of [x.gt(1), x.lt(1), x.eq(1), x.argmax(1)]) expect(y.requiresGrad).toBe(false);
    expect(x.argmax(1).toArray()).toEqual([1, 0]);
  });
});

describe("the checker itself catches a wrong rule", () => {
  it("fails on a custom op with a sign error", () => {
    const bad = defineOp({
      name: "test.badSquare",
      forward: (x) => x.mul(x),
      backward: (g, { inputs }) => [g.mul(inputs[0]).mul(-2)],
    });
    const r = checkAgainstNumeric((x) => bad(x), [randT([3, 2])]);
    expect(r.worstExcess).toBeGreaterThan(0);
  });
});

/**
 * For each op that declares kinks: inputs with entry 0 of the first input one step to either side of a
 * kink. The op's `kinks` must give entry 0 (or the output entry it feeds) different codes on the two sides.
 */
const kinkProbes: Record<string, () => { f: (x: Tensor) => Tensor; at: number }> = {
  maximum: () => ({ f: (x) => ops.maximum(x, tensor([0.25, 0.25])), at: 0.25 }),
  abs: () => ({ f: (x) => ops.abs(x), at: 0 }),
  relu: () => ({ f: (x) => ops.relu(x), at: 0 }),
  leakyRelu: () => ({ f: (x) => ops.leakyRelu(x, 0.1), at: 0 }),
  clamp: () => ({ f: (x) => ops.clamp(x, -0.5, 0.7), at: 0.7 }),
  max: () => ({ f: (x) => ops.max(x, 0), at: 2 }),
  ...convKinkProbes,
  ...Object.assign({}, ...groups.map((g) => g.kinkProbes)),
};

/** For each op that declares non-finite outputs: a case of moderate inputs that makes one (forward or backward). */
const nonFiniteProbes: Record<string, () => { f: (x: Tensor) => Tensor; input: number[] }> = {
  div: () => ({ f: (x) => ops.div(tensor([1, 2]), x), input: [0, 1] }),
  pow: () => ({ f: (x) => ops.pow(x, 0.5), input: [-1, 1] }),
  exp: () => ({ f: (x) => ops.exp(x), input: [800, 1] }),
  log: () => ({ f: (x) => ops.log(x), input: [0, 1] }),
  sqrt: () => ({ f: (x) => ops.sqrt(x), input: [0, 1] }),
  ...convNonFiniteProbes,
  ...Object.assign({}, ...groups.map((g) => g.nonFiniteProbes)),
};

/** Output and input gradients of f, all finite? */
function staysFinite(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean {
  for (const x of inputs) {
    x.requiresGrad = true;
    x.zeroGrad();
  }
  const y = f(...inputs);
  y.sum().backward();
  const finite = (d: ArrayLike<number>) => Array.from(d).every(Number.isFinite);
  return finite(y.data) && inputs.every((x) => !x.grad || finite(x.grad.data));
}

/** Values on a grid of 0.5 (zeros and ties appear), positive inputs kept ≥ 0.5 so domains are respected. */
const snapped = (t: Tensor, scale = 1) => {
  const s = new Tensor(Float64Array.from(t.data, (v) => scale * (v > 0 ? Math.max(0.5, Math.round(2 * v) / 2) : Math.round(2 * v) / 2)), t.shape);
  return s;
};

describe("op registry: what the debugger knows about each op", () => {
  const differentiable = listOps().filter((op) => op.kind !== "custom" && op.differentiable);

  it("every op that declares kinks or non-finite outputs has a probe for it, and no probe is stale", () => {
    expect(differentiable.filter((op) => op.kinks && !(op.name in kinkProbes)).map((o) => o.name)).toEqual([]);
    expect(differentiable.filter((op) => op.nonFinite && !(op.name in nonFiniteProbes)).map((o) => o.name)).toEqual([]);
    expect(Object.keys(kinkProbes).filter((n) => !getOp(n)?.kinks)).toEqual([]);
    expect(Object.keys(nonFiniteProbes).filter((n) => !getOp(n)?.nonFinite)).toEqual([]);
  });

  for (const [name, probe] of Object.entries(kinkProbes)) {
    it(`${name}: its kinks tell the two sides of a kink apart`, () => {
      const { f, at } = probe();
      const sides = getOp(name)!.kinks!;
      const codes = (x0: number) => {
        // The op's kink function sees exactly the inputs and output an observer sees for that call.
        let seen: number[] | undefined;
        const stop = addOpObserver({ forward: (e) => { if (e.op === name) seen = Array.from(sides(e.inputs, e.output)); } });
        try {
          noGrad(() => f(tensor([x0, 2])));
        } finally {
          stop();
        }
        return seen;
      };
      expect(codes(at)).toBeDefined();
      expect(codes(at - 1e-3)).not.toEqual(codes(at + 1e-3));
    });
  }

  for (const [name, probe] of Object.entries(nonFiniteProbes)) {
    it(`${name}: the non-finite output it declares happens`, () => {
      const { f, input } = probe();
      expect(staysFinite(f, [tensor(input)])).toBe(false);
    });
  }

  for (const op of differentiable) {
    if (!(op.name in cases)) continue;
    if (!op.kinks) {
      it(`${op.name} declares no kinks: its gradient holds on inputs with zeros and ties`, () => {
        for (let trial = 0; trial < 3; trial++) {
          const { f, inputs, eps } = cases[op.name]();
          const result = checkAgainstNumeric(f, inputs.map((t) => snapped(t)), { eps });
          expect(result.worstExcess, `${op.name}: maxRel ${result.maxRelError}`).toBeLessThanOrEqual(0);
        }
      });
    }
    if (!op.nonFinite) {
      it(`${op.name} declares no non-finite outputs: it stays finite on inputs of ±500 and zeros`, () => {
        for (let trial = 0; trial < 3; trial++) {
          const { f, inputs } = cases[op.name]();
          expect(staysFinite(f, inputs.map((t) => snapped(t, 500)))).toBe(true);
        }
      });
    }
  }
});
