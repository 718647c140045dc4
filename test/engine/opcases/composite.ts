/** Registry-walk cases for softmax and logSoftmax (plain and masked, with a fully masked row) and maskedFill. */
import { ops, Tensor } from "../../../src/engine";
import { makers, type Case, type KinkProbe, type NonFiniteProbe } from "./gen";

const { dim, randT, bernoulli } = makers(8855);

/** A [rows, cols] mask with random entries, row 0 fully masked and the last row left open. */
function rowMask(rows: number, cols: number): Tensor {
  const m = bernoulli([rows, cols], 0.4);
  for (let c = 0; c < cols; c++) {
    m.data[c] = 1;
    if (rows > 1) m.data[(rows - 1) * cols + c] = 0;
  }
  return m;
}

export const cases: Record<string, Case> = {
  softmax: () => {
    const [r, c] = [dim(), dim() + 1];
    const mask = rowMask(r, c);
    return { f: (x) => ops.concat([ops.softmax(x, -1), ops.softmax(x, -1, mask)]), inputs: [randT([r, c])] };
  },
  // Masked log-probabilities are −Infinity: where() keeps the finite ones, so the check compares numbers.
  logSoftmax: () => {
    const [r, c] = [dim() + 1, dim()];
    const mask = rowMask(r, c);
    const open = mask.eq(0);
    return { f: (x) => ops.concat([ops.logSoftmax(x, 0), ops.where(open, ops.logSoftmax(x, -1, mask), 0)]), inputs: [randT([r, c])] };
  },
  maskedFill: () => {
    const shape = [dim(), dim(), dim()];
    const mask = bernoulli([1, shape[1], shape[2]], 0.5);
    return { f: (x) => ops.maskedFill(x, mask, -0.25), inputs: [randT(shape)] };
  },
};

export const kinkProbes: Record<string, KinkProbe> = {};
export const nonFiniteProbes: Record<string, NonFiniteProbe> = {};
