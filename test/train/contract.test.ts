/** The model contract (src/train/spec.ts): defineModel's fields, and what data(), optimizer() and the first step must return. */
import { describe, expect, it } from "vitest";
import { data, defineModel, losses, nn, optim, tensor, train, type ModelSpec } from "../../src";
import { ModelContractError } from "../../src/train/spec";

const base: ModelSpec = {
  name: "m",
  model: () => new nn.Sequential(new nn.Linear(2, 4), new nn.Tanh(), new nn.Linear(4, 2)),
  data: () => data.xor({ n: 8, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (p) => new optim.SGD(p, { lr: 0.1 }),
  batchSize: 4,
  steps: 2,
};
const withFields = (fields: Record<string, unknown>) => ({ ...base, ...fields }) as unknown as ModelSpec;

describe("defineModel", () => {
  it.each([
    [{ batchSize: 0 }, '"batchSize" must be a positive integer, got 0'],
    [{ batchSize: -4 }, '"batchSize" must be a positive integer, got -4'],
    [{ steps: 0 }, '"steps" must be a positive integer, got 0'],
    [{ steps: 1.5 }, '"steps" must be a positive integer, got 1.5'],
    [{ steps: Number.NaN }, '"steps" must be a positive integer, got NaN'],
    [{ epochs: Infinity }, '"epochs" must be a positive integer, got Infinity'],
    [{ batchSize: "8" }, '"batchSize" must be a positive integer, got "8"'],
    [{ schedule: 0.1 }, '"schedule" must be a function, got 0.1'],
  ])("refuses %j", (fields, message) => {
    expect(() => defineModel(withFields(fields))).toThrow(`defineModel: ${message}`);
  });
  it("accepts steps: 1e9 (an integer) and no counts at all", () => {
    expect(() => defineModel(withFields({ steps: 1e9 }))).not.toThrow();
    expect(() => defineModel(withFields({ steps: undefined, batchSize: undefined }))).not.toThrow();
  });
  it("refuses a non-object", () => {
    expect(() => defineModel(42 as unknown as ModelSpec)).toThrow("defineModel: expects an object");
  });
});

describe("the contract checked when the run is built and on its first step", () => {
  const run = (fields: Record<string, unknown>) => () => train(withFields(fields));
  it.each([
    [{ data: () => ({ x: tensor([[0, 0], [1, 1]]), y: tensor([0]) }) }, "data() has 2 inputs (x rows) but 1 targets (y rows)"],
    [{ data: () => ({ train: { x: tensor([[0, 0]]), y: tensor([0]) }, validation: { x: tensor([[0, 0]]), y: tensor([0, 1]) } }) }, "data().validation has 1 inputs (x rows) but 2 targets"],
    [{ data: async () => data.xor() }, "data() returned a Promise"],
    [{ data: () => 3 }, "data() must return { x, y }"],
    [{ optimizer: () => ({}) }, "optimizer(params) must return an optimizer with step()"],
    [{ model: () => ({}) }, "model() must return an nn.Module"],
    [{ loss: (p: { mul: (q: unknown) => unknown }) => p.mul(p) }, "loss(prediction, target) must return a scalar, got a tensor of shape [4, 2]"],
    [{ loss: () => 0.5 }, "loss(prediction, target) must return a scalar Tensor, got 0.5"],
    [{ data: () => ({ x: tensor([[0, 0], [1, 1]]), y: tensor([0, 2]) }), batchSize: 2 }, "class label 2 (in the first batch) is outside the model's 2 outputs"],
    [{ data: () => ({ x: tensor([[0, 0], [1, 1]]), y: tensor([0, 0.5]) }), batchSize: 2 }, "class label 0.5"],
  ])("%#: %s", (fields, message) => {
    const thrown = (() => {
      try {
        run(fields)();
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(ModelContractError);
    expect((thrown as Error).message).toContain(message);
  });
  it("a healthy spec passes every check", () => {
    expect(train(base).steps).toBe(2);
  });
});
