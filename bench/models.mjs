// The two model benchmarks, built the same way in Gradient Lens and in TensorFlow.js: one training step
// (forward, softmax cross-entropy, backward, SGD update) of
//   CNN   x [64, 1, 28, 28] → conv3×3(1→16, pad 1) → ReLU → maxpool 2 → conv3×3(16→32, pad 1) → ReLU
//         → maxpool 2 → flatten → linear 1568→10
//   LSTM  x [32, 50, 32] → LSTM(32→128), 50 steps → last hidden state → linear 128→10
// Same shapes, same init scales (PyTorch's defaults, which our layers use), same data. TF.js is NHWC;
// its LSTM cell is written out with the same gate order and equations as nn.LSTM.

export const CNN = { batch: 64, size: 28, c1: 16, c2: 32, classes: 10 };
export const LSTM = { batch: 32, time: 50, input: 32, hidden: 128, classes: 10 };
const LR = 0.01;

function fill(rng, n, lo, hi, Ctor) {
  const d = new Ctor(n);
  for (let i = 0; i < n; i++) d[i] = rng.range(lo, hi);
  return d;
}

function labels(rng, n, classes) {
  return Float64Array.from({ length: n }, () => rng.int(classes));
}

// ---- Gradient Lens ------------------------------------------------------------------------------

/** A training-step closure for our CNN in `dtype`. */
export function oursCnnStep(gl, dtype, seed = 5) {
  const { nn, optim, losses, Tensor, Random } = gl;
  const rng = new Random(seed);
  const C = dtype === "float32" ? Float32Array : Float64Array;
  const { batch, size, c1, c2, classes } = CNN;
  const model = new nn.Sequential(
    new nn.Conv2d(1, c1, 3, { padding: 1, dtype, rng }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(c1, c2, 3, { padding: 1, dtype, rng }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(c2 * (size / 4) ** 2, classes, { dtype, rng }),
  );
  const x = new Tensor(fill(rng, batch * size * size, 0, 1, C), [batch, 1, size, size]);
  const y = new Tensor(C.from(labels(rng, batch, classes)), [batch]);
  const opt = new optim.SGD(model.parameters(), { lr: LR });
  return () => {
    opt.zeroGrad();
    const loss = losses.softmaxCrossEntropy(model.call(x), y);
    loss.backward();
    opt.step();
    return loss;
  };
}

/** A training-step closure for our LSTM in `dtype`. */
export function oursLstmStep(gl, dtype, seed = 6) {
  const { nn, optim, losses, ops, Tensor, Random } = gl;
  const rng = new Random(seed);
  const C = dtype === "float32" ? Float32Array : Float64Array;
  const { batch, time, input, hidden, classes } = LSTM;
  const lstm = new nn.LSTM(input, hidden, { dtype, rng });
  const head = new nn.Linear(hidden, classes, { dtype, rng });
  const params = [...lstm.parameters(), ...head.parameters()];
  const x = new Tensor(fill(rng, batch * time * input, -1, 1, C), [batch, time, input]);
  const y = new Tensor(C.from(labels(rng, batch, classes)), [batch]);
  const opt = new optim.SGD(params, { lr: LR });
  return () => {
    opt.zeroGrad();
    const out = lstm.call(x);
    const last = ops.reshape(ops.slice(out, 1, time - 1, time), [batch, hidden]);
    const loss = losses.softmaxCrossEntropy(head.call(last), y);
    loss.backward();
    opt.step();
    return loss;
  };
}

// ---- TensorFlow.js ------------------------------------------------------------------------------

const uniformVar = (tf, shape, bound, seed) => tf.variable(tf.randomUniform(shape, -bound, bound, "float32", seed));

/**
 * conv2d 3×3, stride 1, "same", whose filter gradient is itself a forward conv2d: tfjs-backend-wasm
 * registers no Conv2DBackpropFilter kernel, so tf.conv2d cannot be trained there as it is. With
 * x [N, H, W, C] as C images of N channels and dy [N, H, W, O] as an H×W filter from N to O channels,
 *   dW[i, j, c, o] = Σ x[n, y + i − 1, x + j − 1, c]·dy[n, y, x, o] = conv2d(xᵀ, dyᵀ, pad 1)[c, i, j, o].
 * The input gradient is tf.conv2dTranspose (the Conv2DBackpropInput kernel, which the backend has).
 */
function conv3x3Wasm(tf) {
  return tf.customGrad((x, w, save) => {
    save([x, w]);
    return {
      value: tf.conv2d(x, w, 1, "same"),
      gradFunc: (dy, [xs, ws]) => {
        const dx = tf.conv2dTranspose(dy, ws, xs.shape, 1, "same");
        const xt = tf.transpose(xs, [3, 1, 2, 0]); // [C, H, W, N]
        const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [H, W, N, O]
        const dw = tf.transpose(tf.conv2d(xt, dyt, 1, [[0, 0], [1, 1], [1, 1], [0, 0]]), [1, 2, 0, 3]);
        return [dx, dw];
      },
    };
  });
}

/** A training-step closure for the CNN in TF.js (float32); `wasm` swaps in the conv whose filter gradient the wasm backend can run. */
export function tfCnnStep(tf, rng, { wasm = false } = {}) {
  const { batch, size, c1, c2, classes } = CNN;
  const flat = c2 * (size / 4) ** 2;
  const b1 = 1 / Math.sqrt(9), b2 = 1 / Math.sqrt(c1 * 9), b3 = 1 / Math.sqrt(flat);
  const vars = [
    uniformVar(tf, [3, 3, 1, c1], b1, 1), uniformVar(tf, [c1], b1, 2),
    uniformVar(tf, [3, 3, c1, c2], b2, 3), uniformVar(tf, [c2], b2, 4),
    uniformVar(tf, [flat, classes], b3, 5), uniformVar(tf, [classes], b3, 6),
  ];
  const conv = wasm ? conv3x3Wasm(tf) : (x, w) => tf.conv2d(x, w, 1, "same");
  const x = tf.tensor4d(fill(rng, batch * size * size, 0, 1, Float32Array), [batch, size, size, 1]);
  const onehot = tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels(rng, batch, classes)), "int32"), classes), "float32");
  const opt = tf.train.sgd(LR);
  const forward = () => {
    let h = tf.maxPool(tf.relu(tf.add(conv(x, vars[0]), vars[1])), 2, 2, "valid");
    h = tf.maxPool(tf.relu(tf.add(conv(h, vars[2]), vars[3])), 2, 2, "valid");
    return tf.add(tf.matMul(tf.reshape(h, [batch, flat]), vars[4]), vars[5]);
  };
  return () => opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, forward()), true).dispose();
}

/** A training-step closure for the LSTM in TF.js (float32), the cell written as nn.LSTM's. */
export function tfLstmStep(tf, rng) {
  const { batch, time, input, hidden, classes } = LSTM;
  const a = 1 / Math.sqrt(hidden);
  const vars = [
    uniformVar(tf, [input, 4 * hidden], a, 11), uniformVar(tf, [hidden, 4 * hidden], a, 12),
    uniformVar(tf, [4 * hidden], a, 13), uniformVar(tf, [4 * hidden], a, 14),
    uniformVar(tf, [hidden, classes], a, 15), uniformVar(tf, [classes], a, 16),
  ];
  const [wih, whh, bih, bhh, wout, bout] = vars;
  const x = tf.tensor3d(fill(rng, batch * time * input, -1, 1, Float32Array), [batch, time, input]);
  const steps = tf.unstack(x, 1); // [batch, input] per step, outside the timed step as our input is
  const onehot = tf.cast(tf.oneHot(tf.tensor1d(Array.from(labels(rng, batch, classes)), "int32"), classes), "float32");
  const opt = tf.train.sgd(LR);
  const forward = () => {
    let h = tf.zeros([batch, hidden]);
    let c = tf.zeros([batch, hidden]);
    for (let t = 0; t < time; t++) {
      const z = tf.add(tf.add(tf.matMul(steps[t], wih), bih), tf.add(tf.matMul(h, whh), bhh));
      const [i, f, g, o] = tf.split(z, 4, 1);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
    }
    return tf.add(tf.matMul(h, wout), bout);
  };
  return () => opt.minimize(() => tf.losses.softmaxCrossEntropy(onehot, forward()), true).dispose();
}
