/** Neural-network building blocks: `nn.Linear`, `nn.Sequential`, activations, `nn.init`. */
export { Module } from "./module";
/** Where modules (and taps) learn their line in the user's source: the runner installs it (src/engine/location.ts). */
export { setLocationCapture } from "../engine";
export { Linear, Sequential, Activation, ReLU, LeakyReLU, Sigmoid, Tanh, Softplus, GELU, type LinearOptions, type ActivationKind } from "./layers";
export { Dropout, type DropoutOptions } from "./dropout";
export { BatchNorm1d, LayerNorm, type BatchNormOptions, type LayerNormOptions } from "./normalization";
export { RNN, LSTM, GRU, type RecurrentOptions, type RNNOptions, type LSTMOptions } from "./recurrent";
export { Residual, MultiheadAttention, TransformerEncoderLayer, type MultiheadAttentionOptions, type AttentionCallOptions, type TransformerEncoderLayerOptions } from "./attention";
export { Conv2d, Conv1d, MaxPool2d, MaxPool1d, AvgPool2d, AvgPool1d, AdaptiveAvgPool2d, Flatten, BatchNorm2d, GroupNorm, type ConvOptions, type GroupNormOptions } from "./conv";
export * as init from "./init";
export type { Initializer } from "./init";
export { Identity, ELU, SELU, ReLU6, Hardtanh } from "./layers";
export { ConvTranspose2d, type ConvTransposeOptions } from "./conv";
export { Embedding, type EmbeddingOptions } from "./embedding";
