/** Data: datasets, minibatches, synthetic sets, augmentation, standardization, CSV. */
export { batches, take, datasetSize, type Dataset, type SplitDataset, type BatchOptions } from "./dataset";
