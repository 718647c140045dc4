/** Neural-network building blocks: `nn.Linear`, `nn.Sequential`, activations, `nn.init`. */
export { Module, addModuleObserver, setLocationCapture, type ModuleObserver } from "./module";
export { Linear, Sequential, Activation, ReLU, LeakyReLU, Sigmoid, Tanh, Softplus, GELU, type LinearOptions, type ActivationKind } from "./layers";
export * as init from "./init";
export type { Initializer } from "./init";
