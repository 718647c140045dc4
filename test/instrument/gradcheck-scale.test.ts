/**
 * No false "your gradient is wrong" at any loss scale: a correct model's check is passed or inconclusive
 * (with the reason in the user's terms) from 1e-12 to 1e12, while a wrong custom backward still fails.
 */
import { describe, expect, it } from "vitest";
import { checkGradients, defineOp, losses, nn, ops, tensor, Tensor } from "../../src";
import { globalRandom, Random } from "../../src/engine";
import { inconclusiveReason } from "../../src/report";

/**
 * A deep ReLU MLP with a large init, N(0, std²) weights, 16 rows: std 1.5 reaches a loss ~1e13 (the
 * case that used to fail and blame a correct op), std 3 ~1e22 (beyond what central differences resolve).
 */
function largeInitMlp(std = 1.5, depth = 8): { module: nn.Sequential; x: Tensor; y: Tensor } {
  globalRandom.seed(3);
  const layers: nn.Module[] = [];
  const width = 32;
  for (let i = 0; i < depth; i++) {
    layers.push(new nn.Linear(i === 0 ? 8 : width, i === depth - 1 ? 4 : width, { init: nn.init.normal(std) }));
    if (i < depth - 1) layers.push(new nn.ReLU());
  }
  const r = new Random(5);
  const x = new Tensor(Float64Array.from({ length: 16 * 8 }, () => r.normal()), [16, 8]);
  const y = new Tensor(Float64Array.from({ length: 16 * 4 }, () => r.normal()), [16, 4]);
  return { module: new nn.Sequential(...layers), x, y };
}

describe("loss scale", () => {
  it("a correct deep ReLU MLP with a large init (loss ~1e13) is never failed in any mode, and blames no op", () => {
    const { module, x, y } = largeInitMlp();
    const loss = losses.mse(module.call(x), y).item();
    expect(loss).toBeGreaterThan(1e8);
    for (const mode of ["sampled", "full", "directional"] as const) {
      const r = checkGradients({ module, loss: losses.mse, batch: { x, y } }, { mode });
      expect(r.status, `${mode}: ${r.notes?.join(" | ")}`).not.toBe("failed");
      expect(r.culprit).toBeUndefined();
    }
  });

  it("the loss-1e13 model with its loss scaled by 1e-12 … 1e12 is never failed; unresolvable checks say why", () => {
    const { module, x, y } = largeInitMlp();
    for (let p = -12; p <= 12; p += 3) {
      const scale = 10 ** p;
      const scaled = (pred: Tensor, target: Tensor) => ops.mul(losses.mse(pred, target), scale);
      const r = checkGradients({ module, loss: scaled, batch: { x, y } }, { mode: "sampled", samples: 4 });
      expect(r.status, `scale 1e${p}: ${r.notes?.join(" | ")}`).not.toBe("failed");
      if (r.status === "inconclusive") expect(r.notes?.join(" ")).toMatch(/cannot resolve gradients below/);
    }
  });

  it("a loss too large to resolve the gradients is inconclusive, with the reason in the user's terms", () => {
    const { module, x, y } = largeInitMlp(3, 10);
    const r = checkGradients({ module, loss: losses.mse, batch: { x, y } }, { mode: "sampled" });
    expect(r.status).toBe("inconclusive");
    expect(r.culprit).toBeUndefined();
    expect(inconclusiveReason(r)).toMatch(/^the loss is ~\d+e\d+: central differences \(eps 1e-6\) cannot resolve gradients below ~\d+e\d+ here/);
    expect(r.layers.flatMap((l) => l.tensors ?? []).some((t) => (t.unresolvable ?? 0) > 0)).toBe(true);
  });

  it("a wrong custom backward still fails at a large loss scale, and is blamed", () => {
    const badSquare = defineOp({ name: "scaleBadSquare", forward: (t) => ops.mul(t, t), backward: (g, { inputs: [t] }) => [g.mul(t)] });
    for (const scale of [1, 1e6]) {
      const w = tensor([0.5, -0.3, 0.8]);
      w.name = "w";
      const r = checkGradients((a) => ops.mul(ops.sum(badSquare(a)), scale), { inputs: [w], mode: "full" });
      expect(r.status, `scale ${scale}`).toBe("failed");
      expect(r.culprit?.op).toBe("scaleBadSquare");
    }
  });
});

describe("the APIs the check uses instead of reaching into private fields", () => {
  it("Random.saveState / restoreState replay a stream exactly, including the spare normal", () => {
    const r = new Random(9);
    r.normal();
    const s = r.saveState();
    const a = [r.normal(), r.uniform(), r.normal()];
    r.restoreState(s);
    expect([r.normal(), r.uniform(), r.normal()]).toEqual(a);
  });

  it("Tensor._swapStorage swaps the storage and hands back the previous array; a wrong length throws", () => {
    const t = tensor([1, 2, 3]);
    const before = t.data;
    const copy = Float64Array.from([4, 5, 6]);
    expect(t._swapStorage(copy)).toBe(before);
    expect(t.data).toBe(copy);
    expect(() => t._swapStorage(new Float64Array(2))).toThrow(/length 2/);
  });
});
