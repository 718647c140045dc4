import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { defineModel, inspect, nn, losses, optim, data } from "gradient-lens";

const ROOT = path.resolve(__dirname, "..", "..");
const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
const schema = JSON.parse(readFileSync(path.join(ROOT, "schema", "report.schema.json"), "utf8"));

describe("engine.version", () => {
  it("names the package version of the engine that produced the report, and the schema accepts it", async () => {
    const spec = defineModel({
      name: "tiny",
      model: () => new nn.Sequential(new nn.Linear(2, 4), new nn.Tanh(), new nn.Linear(4, 2)),
      data: () => data.xor({ n: 16, seed: 1 }),
      loss: losses.softmaxCrossEntropy,
      optimizer: (params) => new optim.SGD(params, { lr: 0.1 }),
      steps: 2,
    });
    const report = await inspect(spec, { gradcheck: false });
    expect(report.engine).toEqual({ version: pkg.version });
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);
    expect(validate(JSON.parse(JSON.stringify(report))), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...JSON.parse(JSON.stringify(report)), engine: {} })).toBe(false);
  });
});
