import { it } from "vitest";
import { writeFileSync } from "node:fs";
import { inspect } from "../src";
import rnn, { lstm } from "../examples/rnn-adding";
it("measure", async () => {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of [["lstm", lstm]] as const) {
    const r = await inspect(spec, { purpose: "train", gradcheck: false });
    out[name] = r.steps.map((s) => ({ loss: s.loss, n: s.timeNorms?.[0].norms, c: s.timeNorms?.[1]?.norms }));
  }
  writeFileSync("/tmp/tv/norms-c.json", JSON.stringify(out));
}, 600000);
