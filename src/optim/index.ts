/** Optimizers and learning-rate schedules: `optim.SGD`, `optim.Adam`, … */
export { BaseOptimizer, type Optimizer } from "./optimizer";
export { SGD, type SGDOptions } from "./sgd";
