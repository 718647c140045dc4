/**
 * What each rule means and what usually fixes it (shown under a warning when the report has no hint).
 * A fix names what this library has (`nn.*`, `nn.init.*`, `optim.*`, `data.*`, `defineModel` fields,
 * settings); test/instrument/hints.test.ts checks that every name exists.
 */
export const RULES: Record<string, { title: string; explanation: string; fix: string }> = {
  "vanishing-gradient": {
    title: "Vanishing gradient",
    explanation: "The gradient reaching this layer is orders of magnitude smaller than at the output, so its weights barely move. Typical of deep stacks of saturating activations (sigmoid, tanh), whose derivative is at most 0.25 or 1.",
    fix: "Use ReLU or GELU activations (nn.ReLU, nn.GELU) with He initialization (nn.init.heNormal), add normalization (nn.LayerNorm, nn.BatchNorm1d), or add residual connections (nn.Residual).",
  },
  "exploding-gradient": {
    title: "Exploding gradient",
    explanation: "Gradients grow from the output towards the input; updates overshoot and training diverges.",
    fix: "Lower the learning rate (the optimizer's lr), clip gradients (defineModel({ clipGradNorm: 1 }), or optim.clipGradNorm in your own loop), or use an initialization scaled to the fan-in (nn.init.xavierNormal, nn.init.heNormal).",
  },
  "dead-relu": {
    title: "Dead ReLU units",
    explanation: "Most units of this ReLU output zero for every example, so no gradient flows through them and they never recover.",
    fix: "Lower the learning rate, use nn.LeakyReLU, or initialize biases at zero or slightly positive (biasInit: nn.init.constant(0.01)).",
  },
  "saturated-activation": {
    title: "Saturated activation",
    explanation: "Most inputs to this sigmoid/tanh are large in magnitude, where the derivative is nearly zero.",
    fix: "Standardize the inputs (data.standardize), use Xavier initialization (nn.init.xavierNormal), or add normalization (nn.LayerNorm, nn.BatchNorm1d) before the activation.",
  },
  "update-ratio": {
    title: "Update-to-weight ratio out of range",
    explanation: "Each step changes the weights by a fraction ‖Δw‖/‖w‖ far from the ~1e-3 that usually trains well (CS231n).",
    fix: "Too small: raise the learning rate (the optimizer's lr). Too large: lower it, or decay it with a schedule (optim.cosineLR, optim.stepLR).",
  },
  "nan-or-inf": {
    title: "NaN or Infinity",
    explanation: "An operation produced a non-finite value; everything downstream of it is poisoned.",
    fix: "Look at the op and inputs named here: log of zero, division by zero, exp overflow (compute a softmax with losses.softmaxCrossEntropy or ops.logSoftmax, which use log-sum-exp), or a learning rate that is too high.",
  },
  "loss-not-decreasing": {
    title: "Loss not decreasing",
    explanation: "The loss has not improved over the window of steps.",
    fix: "Check the learning rate, the labels, and whether gradients reach the early layers.",
  },
  "loss-oscillating": {
    title: "Loss oscillating",
    explanation: "The loss swings up and down by large amounts from step to step.",
    fix: "Lower the learning rate, decay it with a schedule (optim.cosineLR, optim.stepLR), or increase the batch size (defineModel({ batchSize })).",
  },
  "vanishing-through-time": {
    title: "Vanishing gradient through time",
    explanation: "The gradient reaching the first time steps of this recurrent layer (or tapped sequence) is orders of magnitude smaller than at the last: ∂h_T/∂h_t is a product of T − t Jacobians that shrinks geometrically, so the network cannot learn dependencies that span the sequence.",
    fix: "Use a gated layer that carries the gradient through time (nn.LSTM with forgetBias: 1, or nn.GRU), or shorter sequences.",
  },
  "exploding-through-time": {
    title: "Exploding gradient through time",
    explanation: "The gradient grows going back through time: the recurrence's Jacobians have norms above 1, so early time steps get huge gradients and training diverges.",
    fix: "Clip gradients (defineModel({ clipGradNorm: 1 }), or optim.clipGradNorm), lower the learning rate, or use a tanh nn.RNN, nn.LSTM or nn.GRU instead of a relu recurrence.",
  },
  "attention-collapse": {
    title: "Attention collapse",
    explanation: "The attention entropy of every head of this layer fell far below that of uniform attention: each query looks at a single key. Low entropy tends to precede divergence in transformers (Zhai et al. 2023).",
    fix: "Lower the learning rate or warm it up (optim.linearWarmup), normalize before attention (nn.TransformerEncoderLayer with normFirst: true, nn.LayerNorm), or add dropout (nn.Dropout).",
  },
  "clipping-always-active": {
    title: "Gradient clipping always active",
    explanation: "The clip threshold scales the gradient on most steps, so it, not the learning rate, sets the size of every step.",
    fix: "Raise clipGradNorm above the typical gradient norm so that it only catches spikes, and tune the learning rate instead.",
  },
  "gradcheck-inconclusive": {
    title: "Gradient check inconclusive",
    explanation: "The check could not judge the gradients: the loss is NaN or infinite at the checked point, the check itself threw, the loss is so large that central differences cannot resolve the gradients, or most entries sit on kinks (ReLU at 0, max ties) that finite differences cannot settle.",
    fix: "Fix the NaN/Inf first if there is a nan-or-inf warning; for a loss too large to resolve, rescale it (a mean instead of a sum); otherwise check in another mode (the gradientLens.gradcheck.mode setting) or on other rows (checkGradients(spec, { seed, batchSize })).",
  },
  "vanishing-query-key-gradient": {
    title: "Attention barely learning",
    explanation: "The queries and keys of this attention layer receive a small fraction of the gradient its values get, so its attention weights hardly change. The gradient reaches queries and keys only through the softmax; nearly uniform attention over tokens that have become alike (rank collapse, common in the upper blocks of deep encoders) starves them.",
    fix: "If the loss is fine, the layer may be unneeded: try fewer blocks. Otherwise normalize before attention (nn.TransformerEncoderLayer with normFirst: true) or make the encoder shallower.",
  },
  "gradcheck-failed": {
    title: "Gradient check failed",
    explanation: "The analytic gradient from backpropagation disagrees with central finite differences: a backward rule is wrong.",
    fix: "Look at the worst entries below and at the op named as the culprit; check the backward rule you gave it in defineOp.",
  },
};
