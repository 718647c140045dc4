/** Every op as a plain function (`ops.matmul(a, b)`), for code that prefers functions to methods. */
export { add, sub, mul, div, pow, maximum, neg, exp, log, sqrt, abs, relu, leakyRelu, sigmoid, tanh, softplus, gelu, clamp, where, cast, gt, lt, eq } from "./elementwise";
export { sum, mean, max, logSumExp, argmax } from "./reduce";
export { matmul } from "./matmul";
export { reshape, permute, transpose, slice, concat, gather, takeAlong, broadcastTo } from "./layout";
export { softmax, logSoftmax } from "./composite";
export { conv2d, conv1d, maxPool2d, maxPool1d, avgPool2d, avgPool1d, adaptiveAvgPool2d, type Conv2dOptions, type Conv1dOptions, type Pool2dOptions, type AvgPool2dOptions, type Pool1dOptions, type AvgPool1dOptions } from "./conv";
export { type GeluOptions } from "./elementwise";
export { elu, selu, relu6, hardTanh, logSigmoid } from "./activations";
export { erf, log1p, expm1, sin, cos, reciprocal, rsqrt, sign, floor, round } from "./math";
export { min, prod, cumsum } from "./reduce";
export { pad, tile, oneHot, checkIndex, type PadMode, type PadOptions } from "./layout";
export { maskedFill, repeat, stack, split, chunk, flatten } from "./composite";
export { tap } from "./tap";
export { convTranspose2d, type ConvTranspose2dOptions } from "./convTranspose";
export { embedding, type EmbeddingOptions } from "./embedding";
