/** What each rule means and what usually fixes it (shown under a warning when the report has no hint). */
export const RULES: Record<string, { title: string; explanation: string; fix: string }> = {
  "vanishing-gradient": {
    title: "Vanishing gradient",
    explanation: "The gradient reaching this layer is orders of magnitude smaller than at the output, so its weights barely move. Typical of deep stacks of saturating activations (sigmoid, tanh), whose derivative is at most 0.25 or 1.",
    fix: "Use ReLU/GELU activations with He initialization, add normalization (LayerNorm/BatchNorm), or add residual connections.",
  },
  "exploding-gradient": {
    title: "Exploding gradient",
    explanation: "Gradients grow from the output towards the input; updates overshoot and training diverges.",
    fix: "Lower the learning rate, clip gradients, or use an initialization scaled to the fan-in (Xavier/He).",
  },
  "dead-relu": {
    title: "Dead ReLU units",
    explanation: "Most units of this ReLU output zero for every example, so no gradient flows through them and they never recover.",
    fix: "Lower the learning rate, use LeakyReLU, or initialize biases slightly positive.",
  },
  "saturated-activation": {
    title: "Saturated activation",
    explanation: "Most inputs to this sigmoid/tanh are large in magnitude, where the derivative is nearly zero.",
    fix: "Scale the inputs (standardize), use Xavier initialization, or add normalization before the activation.",
  },
  "update-ratio": {
    title: "Update-to-weight ratio out of range",
    explanation: "Each step changes the weights by a fraction ‖Δw‖/‖w‖ far from the ~1e-3 that usually trains well (CS231n).",
    fix: "Too small: raise the learning rate. Too large: lower it.",
  },
  "nan-or-inf": {
    title: "NaN or Infinity",
    explanation: "An operation produced a non-finite value; everything downstream of it is poisoned.",
    fix: "Look at the op and inputs named here: log of zero, division by zero, exp overflow, or a learning rate that is too high.",
  },
  "loss-not-decreasing": {
    title: "Loss not decreasing",
    explanation: "The loss has not improved over the window of steps.",
    fix: "Check the learning rate, the labels, and whether gradients reach the early layers.",
  },
  "loss-oscillating": {
    title: "Loss oscillating",
    explanation: "The loss swings up and down by large amounts from step to step.",
    fix: "Lower the learning rate or increase the batch size.",
  },
  "gradcheck-inconclusive": {
    title: "Gradient check inconclusive",
    explanation: "The check could not judge the gradients: the loss is NaN or infinite at the checked point, the check itself threw, or most entries sit on kinks (ReLU at 0, max ties) that finite differences cannot settle.",
    fix: "Fix the NaN/Inf first if there is a nan-or-inf warning; otherwise check with more rows or another seed (gradientLens.gradcheck settings).",
  },
  "gradcheck-failed": {
    title: "Gradient check failed",
    explanation: "The analytic gradient from backpropagation disagrees with central finite differences: a backward rule is wrong.",
    fix: "Look at the worst entries below and at the op named as the culprit; check its backward rule.",
  },
};
