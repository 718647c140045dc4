/** Loss functions: (prediction, target) → scalar mean loss. */
import { Tensor, ops } from "../engine";

export type Loss = (prediction: Tensor, target: Tensor) => Tensor;

function labelsColumn(op: string, logits: Tensor, labels: Tensor): Tensor {
  if (logits.ndim !== 2) throw new Error(`${op}: logits must be [batch, classes], got [${logits.shape}]`);
  const n = logits.shape[0];
  if (labels.size !== n) throw new Error(`${op}: ${labels.size} labels for a batch of ${n}`);
  return labels.reshape([n, 1]);
}

/** Mean squared error. */
export const mse: Loss = (pred, target) => {
  const d = ops.sub(pred, target.shape.length === pred.shape.length ? target : target.reshape(pred.shape as number[]));
  return ops.mean(ops.mul(d, d));
};

/**
 * Cross-entropy of logits [N, C] against integer class labels [N], averaged over the batch, in its
 * log-sum-exp form: −x_y + log Σ exp(x). Finite for logits of ±1000, where softmax-then-log is not.
 */
export const softmaxCrossEntropy: Loss = (logits, labels) => {
  const picked = ops.takeAlong(logits, labelsColumn("softmaxCrossEntropy", logits, labels), 1);
  return ops.mean(ops.sub(ops.logSumExp(logits, 1, true), picked));
};

/**
 * Binary cross-entropy on logits z with targets t ∈ [0, 1]: max(z, 0) − z·t + log(1 + e^−|z|),
 * the stable form (PyTorch's BCEWithLogitsLoss).
 */
export const binaryCrossEntropyWithLogits: Loss = (logits, targets) => {
  const t = targets.size === logits.size ? targets.reshape(logits.shape as number[]) : targets;
  const stable = ops.add(ops.sub(ops.relu(logits), ops.mul(logits, t)), ops.softplus(ops.neg(ops.abs(logits))));
  return ops.mean(stable);
};

/** λ/2 · Σ‖w‖² over the given parameters: L2 weight decay as a loss term (its gradient is λw). */
export function l2Penalty(params: readonly Tensor[], lambda: number): Tensor {
  let total: Tensor | null = null;
  for (const p of params) {
    const s = ops.sum(ops.mul(p, p));
    total = total ? ops.add(total, s) : s;
  }
  if (!total) throw new Error("l2Penalty: no parameters");
  return ops.mul(total, lambda / 2);
}
