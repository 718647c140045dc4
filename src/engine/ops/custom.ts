/** User-defined ops with a hand-written backward rule; the gradient checker is how you find out it is wrong. */
import { formatShape, sameShape } from "../shape";
import { gradBuffer, makeResult, noGrad, Tensor } from "../tensor";
import { kernels } from "../kernels";
import { redeclareCustomOp, signOfFirstInput, type KinkSides, type NonFiniteCause } from "./registry";

export interface CustomOpSpec {
  /** A unique name; it appears in the graph, in NaN-origin reports and in gradient-check results. */
  name: string;
  /** Computes the output from the inputs (run without recording a graph). */
  forward: (...inputs: Tensor[]) => Tensor;
  /**
   * Given the output's gradient, returns one gradient per input (same shape as that input), or null
   * for an input that gets none. `saved` holds the inputs and the output of the forward.
   */
  backward: (grad: Tensor, saved: { inputs: readonly Tensor[]; output: Tensor }) => ReadonlyArray<Tensor | null>;
  /**
   * The op is not differentiable at isolated points where its first input changes sign (a hand-written
   * ReLU, abs, a hinge): the gradient check then treats a perturbation that moves an input across 0 as a
   * kink and judges it against one-sided differences instead of the central difference.
   */
  hasKinks?: boolean;
  /** Kinks elsewhere than at the first input's sign changes: each entry's side of them (see `KinkSides`). */
  kinks?: KinkSides;
  /** How the op can make NaN or ±Inf from finite inputs, and the fix; the nan-or-inf warning shows it. */
  nonFinite?: NonFiniteCause;
}

/** Defines a differentiable op; returns a function that applies it. */
export function defineOp(spec: CustomOpSpec): (...inputs: Tensor[]) => Tensor {
  if (!spec.name) throw new Error("defineOp: a name is required");
  // Redefining a custom op (a reloaded model file) takes the latest declaration.
  try {
    redeclareCustomOp({
      name: spec.name, kind: "custom", differentiable: true,
      kinks: spec.kinks ?? (spec.hasKinks ? signOfFirstInput : null),
      nonFinite: spec.nonFinite ?? null,
    });
  } catch {
    throw new Error(`defineOp: "${spec.name}" is a built-in op`);
  }
  return (...inputs: Tensor[]) => {
    const result = noGrad(() => spec.forward(...inputs));
    if (!(result instanceof Tensor)) throw new Error(`${spec.name}: forward must return a Tensor`);
    const output = makeResult(spec.name, result.data, result.shape, inputs, (g) => {
      const grads = noGrad(() => spec.backward(new Tensor(g, output.shape), { inputs, output }));
      if (!Array.isArray(grads) || grads.length !== inputs.length) {
        throw new Error(`${spec.name}: backward must return ${inputs.length} gradient(s), one per input`);
      }
      grads.forEach((gr, i) => {
        const x = inputs[i];
        if (!gr || !x.requiresGrad) return;
        if (!sameShape(gr.shape, x.shape)) {
          throw new Error(`${spec.name}: backward returned a gradient of shape ${formatShape(gr.shape)} for input ${i} of shape ${formatShape(x.shape)}`);
        }
        kernels.accumulate(gradBuffer(x), gr.data);
      });
    });
    return output;
  };
}
