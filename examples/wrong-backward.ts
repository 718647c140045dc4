/**
 * Lecture: checking gradients numerically. A custom op with a hand-written backward rule that is
 * wrong: cube(x) = x³ but the backward returns 2x·g (the square's derivative) instead of 3x²·g.
 * Training still "runs", the loss even moves, yet the gradients are wrong. `gradient-lens check`
 * compares them with central differences and exits 1, naming the layers the wrong gradient reaches
 * and the line where they are built. `fixed` has the correct rule and passes.
 */
import { defineModel, defineOp, nn, losses, optim, data, type Tensor } from "gradient-lens";

const cubeWrong = defineOp({
  name: "cubeWrong",
  forward: (x) => x.mul(x).mul(x),
  backward: (g, { inputs: [x] }) => [g.mul(x).mul(2)], // BUG: d(x³)/dx is 3x², not 2x
});

const cube = defineOp({
  name: "cube",
  forward: (x) => x.mul(x).mul(x),
  backward: (g, { inputs: [x] }) => [g.mul(x).mul(x).mul(3)],
});

/** An activation layer that applies an op. */
class Apply extends nn.Module {
  constructor(readonly op: (x: Tensor) => Tensor) {
    super();
  }
  forward(x: Tensor): Tensor {
    return this.op(x);
  }
}

const spec = (name: string, op: (x: Tensor) => Tensor) =>
  defineModel({
    name,
    model: () =>
      new nn.Sequential(
        new nn.Linear(2, 8),
        new Apply(op),
        new nn.Linear(8, 2),
      ),
    data: () => data.xor({ n: 32, seed: 5 }),
    loss: losses.softmaxCrossEntropy,
    optimizer: (params) => new optim.SGD(params, { lr: 0.05 }),
    steps: 20,
  });

export default spec("Custom cube op with a wrong backward rule", cubeWrong);
export const fixed = spec("Custom cube op with the right backward rule", cube);
