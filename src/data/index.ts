/** Data: datasets, minibatches, synthetic sets, augmentation, standardization, CSV. */
export { batches, take, datasetSize, epochRandom, type Dataset, type SplitDataset, type BatchOptions } from "./dataset";
export { spirals, moons, xor, linearRegression, type SpiralsOptions, type MoonsOptions, type XorOptions, type LinearRegressionOptions, type RegressionDataset } from "./synthetic";
export { gaussianNoise, jitter, randomFlip, composeTransforms, type BatchTransform, type AugmentOptions } from "./augment";
export { standardize, type Standardizer } from "./standardize";
export { trainTestSplit, type TrainTestSplit } from "./split";
export { loadCsv, parseCsv, type CsvOptions, type CsvDataset } from "./csv";
export { addingProblem, copyTask, parity, type AddingProblemOptions, type CopyTaskOptions, type ParityOptions } from "./sequence";
export { digits, type DigitsOptions, type DigitsDataset } from "./digits";
export { randomCrop, horizontalFlip } from "./augment";
export { brackets, isBalanced, BRACKET_TOKENS, type BracketsOptions } from "./sequence";
