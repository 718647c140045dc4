/** Gradient-check cases for the embedding lookup (the registry walk spreads them in). */
import { ops, tensor } from "../../../src/engine";
import { makers, type Case } from "./gen";

const { rng, randT } = makers(7301);

export const cases: Record<string, Case> = {
  // Repeated ids accumulate gradient; the padding id (0, among the ids) looks up zeros and gets none.
  embedding: () => {
    const rows = 3 + rng.int(3), dim = 1 + rng.int(3);
    const ids = tensor(Array.from({ length: 2 }, () => Array.from({ length: 3 }, () => rng.int(rows))));
    return { f: (w) => ops.embedding(ids, w, { paddingIdx: 0 }).mul(ops.embedding(ids, w)), inputs: [randT([rows, dim])] };
  },
};
