import type { Report } from "../../src/report";

/** A small report shaped like the deep-sigmoid example's: layers.0 vanishes, the check passes. */
export function sampleReport(overrides: Partial<Report> = {}): Report {
  const loc = (line: number) => ({ file: "/ws/deep-sigmoid.ts", line, column: 7 });
  const stats = (name: string, gradNorm: number) => ({
    name, gradNorm, gradMeanAbs: gradNorm / 10, gradMaxAbs: gradNorm, weightNorm: 1, updateRatio: gradNorm / 10, zeroFraction: 0,
    histogram: { edges: [-8, -6, -4], counts: [3, 5] },
  });
  return {
    version: 1,
    model: {
      name: "Deep sigmoid MLP", file: "/ws/deep-sigmoid.ts", parameters: 1187,
      layers: [
        { name: "layers.0", kind: "Linear", parameters: 96, location: loc(15) },
        { name: "layers.1", kind: "Sigmoid", parameters: 0, location: loc(16) },
        { name: "layers.2", kind: "Linear", parameters: 1056, location: loc(17) },
        { name: "layers.3", kind: "Linear", parameters: 35 },
      ],
    },
    steps: [
      { step: 0, loss: 1.1, layers: [stats("layers.0", 1e-7), stats("layers.2", 1e-4), stats("layers.3", 0.1)] },
      { step: 1, loss: 1.05, layers: [stats("layers.0", 4e-7), stats("layers.2", 2e-4), stats("layers.3", 0.2)] },
    ],
    warnings: [
      { rule: "vanishing-gradient", severity: "warning", layer: "layers.0", step: 0, message: "layers.0 receives gradients 1e-6× smaller than layers.3", hint: "use ReLU with He init", evidence: {} },
      { rule: "loss-not-decreasing", severity: "info", message: "the loss did not decrease", evidence: {} },
    ],
    gradcheck: {
      mode: "sampled", eps: 1e-6, passed: true,
      layers: [
        { name: "layers.0", checked: 20, maxRelError: 2e-9, passed: true, worst: [{ index: [0, 1], analytic: 0.1, numeric: 0.1, relError: 2e-9 }] },
        { name: "layers.2", checked: 20, maxRelError: 3e-10, passed: true, kinks: 1, worst: [] },
      ],
    },
    ...overrides,
  };
}
