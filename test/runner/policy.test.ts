/**
 * What a run is belongs to `inspect` (issue 8, "policy out of the transport"): a check's step cap and
 * the full check's parameter budget are applied after the run is built once, and the step count is
 * reported through onStart. The runner only passes the purpose along.
 */
import { describe, expect, it } from "vitest";
import { data, defineModel, inspect, losses, nn, optim, type RunStartInfo } from "../../src";
import { CHECK_MAX_STEPS, FULL_MODE_PARAMETER_BUDGET } from "../../src/instrument/inspect";
import { recordedSteps } from "../../src/instrument/recorder";

function spec(hidden: number, steps: number | undefined, counter?: { model: number; data: number }) {
  return defineModel({
    name: `mlp ${hidden}`,
    model: () => {
      if (counter) counter.model++;
      return new nn.Sequential(new nn.Linear(2, hidden), new nn.Tanh(), new nn.Linear(hidden, 2));
    },
    data: () => {
      if (counter) counter.data++;
      return data.xor({ n: 16, seed: 1 });
    },
    loss: losses.softmaxCrossEntropy,
    optimizer: (p) => new optim.SGD(p, { lr: 0.1 }),
    batchSize: 8,
    ...(steps === undefined ? {} : { steps }),
  });
}

describe("inspect owns the run's policy", () => {
  it("a check run takes at most CHECK_MAX_STEPS steps, says so through onStart, and builds the run once", async () => {
    const counter = { model: 0, data: 0 };
    const starts: RunStartInfo[] = [];
    const r = await inspect(spec(4, 500, counter), { purpose: "check", gradcheck: false, onStart: (i) => starts.push(i) });
    expect(starts).toEqual([{ totalSteps: CHECK_MAX_STEPS, parameters: 22, notes: [] }]);
    expect(r.steps).toHaveLength(CHECK_MAX_STEPS);
    expect(counter).toEqual({ model: 1, data: 1 });
  });

  it("a check run keeps a shorter spec's steps, and an explicit steps wins over the cap", async () => {
    expect((await inspect(spec(4, 5), { purpose: "check", gradcheck: false })).steps).toHaveLength(5);
    expect((await inspect(spec(4, 500), { purpose: "check", steps: 30, gradcheck: false })).steps).toHaveLength(30);
  });

  it("a check run checks gradients (sampled) by default; a train run only when asked", async () => {
    expect((await inspect(spec(4, 3), { purpose: "check" })).gradcheck?.mode).toBe("sampled");
    expect((await inspect(spec(4, 3), { purpose: "train" })).gradcheck).toBeUndefined();
    expect((await inspect(spec(4, 3), { purpose: "train", gradcheck: { mode: "full" } })).gradcheck?.mode).toBe("full");
  });

  it("full mode over the parameter budget is sampled instead, with the note in onStart and in the check", async () => {
    const hidden = Math.ceil(FULL_MODE_PARAMETER_BUDGET / 5); // 2h + h + 2h + 2 parameters
    const starts: RunStartInfo[] = [];
    const r = await inspect(spec(hidden, 1), { purpose: "train", gradcheck: { mode: "full", samples: 2 }, onStart: (i) => starts.push(i) });
    expect(starts[0].parameters).toBeGreaterThan(FULL_MODE_PARAMETER_BUDGET);
    expect(starts[0].notes).toHaveLength(1);
    expect(starts[0].notes[0]).toContain("sampled mode was used instead");
    expect(r.gradcheck?.mode).toBe("sampled");
    expect(r.gradcheck?.notes?.[0]).toBe(starts[0].notes[0]);
  });

  it("full mode within the budget stays full", async () => {
    const r = await inspect(spec(4, 1), { purpose: "check", gradcheck: { mode: "full" } });
    expect(r.gradcheck?.mode).toBe("full");
    expect(r.gradcheck?.notes ?? []).not.toContainEqual(expect.stringContaining("budget"));
  });

  it("a run stopped by its caller reports the steps done and skips the gradient check", async () => {
    let steps = 0;
    const r = await inspect(spec(4, 1000), { purpose: "check", steps: 1000, onProgress: () => steps++, shouldStop: () => steps >= 3 });
    expect(r.steps).toHaveLength(3);
    expect(r.gradcheck).toBeUndefined();
    expect(r.status?.reason).toBe("stopped");
  });
});

describe("recorded steps of a long run", () => {
  it("the every-N schedule of 1e9 steps is answered without listing the steps", () => {
    const s = recordedSteps({ kind: "every", interval: 1 }, 1e9);
    expect(s.has(0)).toBe(true);
    expect(s.has(999_999_999)).toBe(true);
    expect(s.has(1e9)).toBe(false);
    const every10 = recordedSteps({ kind: "every", interval: 10 }, 1e9 + 5);
    expect([every10.has(20), every10.has(21), every10.has(1e9 + 4)]).toEqual([true, false, true]);
  });
  it("iterates the same steps as before: multiples of N and the last step", () => {
    expect([...recordedSteps({ kind: "every", interval: 10 }, 35)]).toEqual([0, 10, 20, 30, 34]);
    expect([...recordedSteps({ kind: "every", interval: 5 }, 11)]).toEqual([0, 5, 10]);
  });
});
