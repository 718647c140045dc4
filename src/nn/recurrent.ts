/**
 * Recurrent layers: `RNN` (tanh or relu), `LSTM` and `GRU`, unrolled on the tape so backpropagation
 * through time is exact. Equations, gate order and default init are PyTorch's:
 *   RNN   h' = act(x·W_ih + b_ih + h·W_hh + b_hh)
 *   LSTM  gates i, f, g, o:  c' = σ(f)⊙c + σ(i)⊙tanh(g),  h' = σ(o)⊙tanh(c')
 *   GRU   gates r, z, n:     n = tanh(x·W_in + b_in + σ(r)⊙(h·W_hn + b_hn)),  h' = (1−σ(z))⊙n + σ(z)⊙h
 * Every weight and bias starts U(−1/√hidden, 1/√hidden). Weights are stored as Linear's, [in, gates·hidden]
 * (x·W), the transpose of PyTorch's layout; the gate blocks are consecutive column ranges in the order above.
 * The layer owns its parameters directly and runs its time loop inside one `forward`, so a recurrent layer
 * is one module call per step: one layer in the report, whose parameter gradients are the sum over time.
 * Each layer taps its hidden state at every time step (`tapSeries`, free when nothing records), so the
 * report shows ‖∂L/∂h_t‖ over t: the series is named after the layer ("layers.0"; stacked layers after
 * the first "layers.0.l1", …). An LSTM also taps its cell state ("layers.0.c"): the path its gradient
 * is meant to survive on.
 */
import { Tensor, globalRandom, ops, tapSeries, type DType, type Random } from "../engine";
import { Module } from "./module";

export interface RecurrentOptions {
  /** Stacked layers, each reading the previous one's outputs (default 1). */
  numLayers?: number;
  /** Input and output are (batch, time, features) when true (default), (time, batch, features) when false. */
  batchFirst?: boolean;
  /** Whether the layer has biases b_ih and b_hh (default true). */
  bias?: boolean;
  dtype?: DType;
  rng?: Random;
}

export interface RNNOptions extends RecurrentOptions {
  /** The cell's activation (default "tanh"). */
  nonlinearity?: "tanh" | "relu";
}

export interface LSTMOptions extends RecurrentOptions {
  /**
   * Added to the forget gate's b_ih after the uniform init (default 0, as PyTorch). 1 keeps the cell
   * state's gradient alive over long sequences at the start of training (Jozefowicz et al. 2015).
   */
  forgetBias?: number;
}

/** One layer's parameters; `l` in the names is the layer index (PyTorch's weight_ih_l0 → weightIhL0). */
interface LayerParams {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor | null;
  biasHh: Tensor | null;
}

abstract class RecurrentBase extends Module {
  readonly numLayers: number;
  readonly batchFirst: boolean;
  protected readonly layerParams: LayerParams[] = [];

  constructor(readonly inputSize: number, readonly hiddenSize: number, gates: number, options: RecurrentOptions) {
    super();
    this.numLayers = options.numLayers ?? 1;
    this.batchFirst = options.batchFirst ?? true;
    if (!(inputSize > 0 && hiddenSize > 0 && Number.isInteger(this.numLayers) && this.numLayers > 0)) {
      throw new Error(`${this.kind}: inputSize, hiddenSize and numLayers must be positive integers, got ${inputSize}, ${hiddenSize}, ${this.numLayers}`);
    }
    const dtype = options.dtype ?? "float64";
    const rng = options.rng ?? globalRandom;
    const a = 1 / Math.sqrt(hiddenSize);
    const uniform = (shape: number[]): Tensor => {
      const n = shape.reduce((p, d) => p * d, 1);
      const data = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
      for (let i = 0; i < n; i++) data[i] = rng.range(-a, a);
      return new Tensor(data, shape);
    };
    const width = gates * hiddenSize;
    for (let l = 0; l < this.numLayers; l++) {
      const inSize = l === 0 ? inputSize : hiddenSize;
      this.layerParams.push({
        weightIh: this.registerParameter(`weightIhL${l}`, uniform([inSize, width])),
        weightHh: this.registerParameter(`weightHhL${l}`, uniform([hiddenSize, width])),
        biasIh: options.bias === false ? null : this.registerParameter(`biasIhL${l}`, uniform([width])),
        biasHh: options.bias === false ? null : this.registerParameter(`biasHhL${l}`, uniform([width])),
      });
    }
  }

  /** (batch, time, features) view of the input, checked. */
  protected batchMajor(x: Tensor): Tensor {
    if (x.ndim !== 3) throw new Error(`${this.path} (${this.kind}): input must be 3-D ${this.batchFirst ? "(batch, time, features)" : "(time, batch, features)"}, got [${x.shape.join(", ")}]`);
    if (x.shape[2] !== this.inputSize) throw new Error(`${this.path} (${this.kind}): input has ${x.shape[2]} features, expected ${this.inputSize}`);
    return this.batchFirst ? x : ops.transpose(x, 0, 1);
  }

  /**
   * The input's time steps as (batch, features) tensors. Each layer reads the previous layer's step
   * outputs directly (no concat-then-slice between layers: a slice's backward writes a buffer the size
   * of the whole sequence, once per step).
   */
  protected timeSteps(x: Tensor): Tensor[] {
    const seq = this.batchMajor(x);
    const [batch, time, features] = seq.shape;
    return Array.from({ length: time }, (_, t) => ops.reshape(ops.slice(seq, 1, t, t + 1), [batch, features]));
  }

  /** (batch, hidden) step outputs → the layer's output, (batch, time, hidden) or (time, batch, hidden). */
  protected sequenceOutput(steps: Tensor[]): Tensor {
    const [batch, hidden] = steps[0].shape;
    const out = ops.concat(steps.map((h) => ops.reshape(h, [batch, 1, hidden])), 1);
    return this.batchFirst ? out : ops.transpose(out, 0, 1);
  }

  protected inputProjection(x: Tensor, p: LayerParams): Tensor {
    const y = ops.matmul(x, p.weightIh);
    return p.biasIh ? ops.add(y, p.biasIh) : y;
  }

  protected recurrentProjection(h: Tensor, p: LayerParams): Tensor {
    const y = ops.matmul(h, p.weightHh);
    return p.biasHh ? ops.add(y, p.biasHh) : y;
  }

  /** h0 or c0 for layer `l`: the given (numLayers, batch, hidden) state's slice, or zeros. */
  protected initial(state: Tensor | undefined, l: number, batch: number, dtype: DType): Tensor {
    if (!state) return new Tensor(dtype === "float32" ? new Float32Array(batch * this.hiddenSize) : new Float64Array(batch * this.hiddenSize), [batch, this.hiddenSize]);
    const want = [this.numLayers, batch, this.hiddenSize];
    if (state.ndim !== 3 || state.shape.some((d, i) => d !== want[i])) {
      throw new Error(`${this.path} (${this.kind}): initial state must be [${want.join(", ")}] (numLayers, batch, hidden), got [${state.shape.join(", ")}]`);
    }
    return ops.reshape(ops.slice(state, 0, l, l + 1), [batch, this.hiddenSize]);
  }

  protected gate(z: Tensor, k: number): Tensor {
    return ops.slice(z, -1, k * this.hiddenSize, (k + 1) * this.hiddenSize);
  }

  /**
   * A state of stacked layer `l` at one time step, tapped: while a recorder runs, the gradient reaching it
   * is recorded per time step, in the series named after the layer (+ `suffix`: the LSTM's cell state ".c").
   */
  protected tapHidden(h: Tensor, l: number, suffix = ""): Tensor {
    return tapSeries(h, `${l === 0 ? this.path : `${this.path}.l${l}`}${suffix}`, { kind: "recurrent", layer: this.path });
  }

  protected stackState(perLayer: Tensor[]): Tensor {
    const [batch, hidden] = perLayer[0].shape;
    return ops.concat(perLayer.map((h) => ops.reshape(h, [1, batch, hidden])), 0);
  }
}

/** Elman RNN. `call(x, h0?)` → outputs (batch, time, hidden); `state` is then h_T, (numLayers, batch, hidden). */
export class RNN extends RecurrentBase {
  readonly nonlinearity: "tanh" | "relu";
  /** The final hidden state of the last call, (numLayers, batch, hidden). */
  state: Tensor | null = null;

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    super(inputSize, hiddenSize, 1, options);
    this.nonlinearity = options.nonlinearity ?? "tanh";
  }

  forward(x: Tensor, h0?: Tensor): Tensor {
    let seq = this.timeSteps(x);
    const batch = seq[0].shape[0];
    const finals: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const p = this.layerParams[l];
      let h = this.initial(h0, l, batch, x.dtype);
      seq = seq.map((xt) => {
        const pre = ops.add(this.inputProjection(xt, p), this.recurrentProjection(h, p));
        h = this.tapHidden(this.nonlinearity === "relu" ? ops.relu(pre) : ops.tanh(pre), l);
        return h;
      });
      finals.push(h);
    }
    this.state = this.stackState(finals);
    return this.sequenceOutput(seq);
  }
}

/** LSTM. `call(x, h0?, c0?)` → outputs (batch, time, hidden); `state` is then { h, c }, each (numLayers, batch, hidden). */
export class LSTM extends RecurrentBase {
  readonly forgetBias: number;
  state: { h: Tensor; c: Tensor } | null = null;

  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super(inputSize, hiddenSize, 4, options);
    this.forgetBias = options.forgetBias ?? 0;
    if (this.forgetBias !== 0) {
      for (const p of this.layerParams) {
        if (!p.biasIh) continue;
        for (let j = hiddenSize; j < 2 * hiddenSize; j++) p.biasIh.data[j] += this.forgetBias;
      }
    }
  }

  forward(x: Tensor, h0?: Tensor, c0?: Tensor): Tensor {
    let seq = this.timeSteps(x);
    const batch = seq[0].shape[0];
    const finalH: Tensor[] = [];
    const finalC: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const p = this.layerParams[l];
      let h = this.initial(h0, l, batch, x.dtype);
      let c = this.initial(c0, l, batch, x.dtype);
      seq = seq.map((xt) => {
        const z = ops.add(this.inputProjection(xt, p), this.recurrentProjection(h, p));
        const i = ops.sigmoid(this.gate(z, 0));
        const f = ops.sigmoid(this.gate(z, 1));
        const g = ops.tanh(this.gate(z, 2));
        const o = ops.sigmoid(this.gate(z, 3));
        c = this.tapHidden(ops.add(ops.mul(f, c), ops.mul(i, g)), l, ".c");
        h = this.tapHidden(ops.mul(o, ops.tanh(c)), l);
        return h;
      });
      finalH.push(h);
      finalC.push(c);
    }
    this.state = { h: this.stackState(finalH), c: this.stackState(finalC) };
    return this.sequenceOutput(seq);
  }
}

/** GRU. `call(x, h0?)` → outputs (batch, time, hidden); `state` is then h_T, (numLayers, batch, hidden). */
export class GRU extends RecurrentBase {
  state: Tensor | null = null;

  constructor(inputSize: number, hiddenSize: number, options: RecurrentOptions = {}) {
    super(inputSize, hiddenSize, 3, options);
  }

  forward(x: Tensor, h0?: Tensor): Tensor {
    let seq = this.timeSteps(x);
    const batch = seq[0].shape[0];
    const finals: Tensor[] = [];
    for (let l = 0; l < this.numLayers; l++) {
      const p = this.layerParams[l];
      let h = this.initial(h0, l, batch, x.dtype);
      seq = seq.map((xt) => {
        const zi = this.inputProjection(xt, p);
        const zh = this.recurrentProjection(h, p);
        const r = ops.sigmoid(ops.add(this.gate(zi, 0), this.gate(zh, 0)));
        const z = ops.sigmoid(ops.add(this.gate(zi, 1), this.gate(zh, 1)));
        const n = ops.tanh(ops.add(this.gate(zi, 2), ops.mul(r, this.gate(zh, 2))));
        // h' = (1 − z)⊙n + z⊙h = n + z⊙(h − n)
        h = this.tapHidden(ops.add(n, ops.mul(z, ops.sub(h, n))), l);
        return h;
      });
      finals.push(h);
    }
    this.state = this.stackState(finals);
    return this.sequenceOutput(seq);
  }
}
