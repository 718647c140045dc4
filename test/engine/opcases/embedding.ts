/** Gradient-check cases for the embedding lookup (the registry walk spreads them in). */
import { ops, Random, Tensor, tensor } from "../../../src/engine";

const rng = new Random(7301);
const randT = (shape: number[]) => {
  const t = new Tensor(new Float64Array(shape.reduce((a, b) => a * b, 1)), shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.range(-2, 2);
  return t;
};

type Case = () => { f: (...xs: Tensor[]) => Tensor; inputs: Tensor[]; eps?: number };

export const cases: Record<string, Case> = {
  // Repeated ids accumulate gradient; the padding id (0, among the ids) looks up zeros and gets none.
  embedding: () => {
    const rows = 3 + rng.int(3), dim = 1 + rng.int(3);
    const ids = tensor(Array.from({ length: 2 }, () => Array.from({ length: 3 }, () => rng.int(rows))));
    return { f: (w) => ops.embedding(ids, w, { paddingIdx: 0 }).mul(ops.embedding(ids, w)), inputs: [randT([rows, dim])] };
  },
};
