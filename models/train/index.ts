export { train, evaluate, checkFit, TrainingError, type TrainOptions, type TrainResult, type History, type EpochRecord, type LossName, type LossFn } from './train.js';
export { Progress, formatLine, formatBar, type ProgressSink, type ProgressState } from './progress.js';
