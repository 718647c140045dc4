/**
 * e2e fixture (untrusted.e2e.test.ts): a small, healthy model whose top-level code writes a marker
 * file next to the workspace folder (the runner's cwd is the model file's folder). The marker existing
 * means this file's code ran: it must not exist while the workspace is in Restricted Mode, and must
 * appear once the workspace is trusted and the model is checked.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { defineModel, nn, losses, optim, data } from "gradient-lens";

writeFileSync(path.resolve(process.cwd(), "..", "model-code-ran.marker"), `pid ${process.pid}\n`);

export default defineModel({
  name: "Marker MLP",
  model: () => new nn.Sequential(new nn.Linear(2, 8), new nn.ReLU(), new nn.Linear(8, 3)),
  data: () => data.spirals({ n: 60, classes: 3, seed: 1 }),
  loss: losses.softmaxCrossEntropy,
  optimizer: (params) => new optim.SGD(params, { lr: 0.05, momentum: 0.9 }),
  batchSize: 16,
  steps: 20,
});
