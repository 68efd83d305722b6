export {
  type AlignmentBatch,
  type AlignmentLossOptions,
  type AlignmentLossResult,
  alignmentLoss,
  alignmentLossWithGradient,
} from "./alignment-loss";
export {
  type AlignmentSource,
  type AlignmentTableOptions,
  type AlignmentTableRow,
  alignmentTable,
} from "./alignment-table";
export {
  type AlignmentTrainingOptions,
  type AlignmentTrainingResult,
  trainAlignment,
} from "./alignment-training";
export { linearCka } from "./cka";
export { AnalysisInputError } from "./errors";
export {
  buildCosineIndex,
  type CosineIndex,
  type CosineIndexOptions,
  EXACT_MAX_VALUES,
  type KnnAnswer,
} from "./knn-index";
export { applyProjection, initLinearProjection, type LinearProjection } from "./linear-projection";
export { type HnswOptions, hnswNearestNeighbors, type KnnGraph } from "./nearest-neighbors";
export { fitPca, type PcaModel, type PcaOptions, transformPca } from "./pca";
export { type PcaRgbMap, type PcaRgbOptions, type PcaRgbResult, pcaRgbMaps } from "./pca-rgb";
export { createPrng, type Prng, shuffledIndices } from "./prng";
export { alignToReference, applyProcrustes, type ProcrustesResult, procrustesAlign } from "./procrustes";
export { canonicalJson, hashFeatures, type ProjectionMethod, projectionKey } from "./projection-key";
export {
  type ProjectionQuality,
  type ProjectionQualityOptions,
  projectionQuality,
} from "./projection-quality";
export { imageToTextRecall, type RecallAtK } from "./retrieval";
export {
  defaultUmapEpochs,
  defaultUmapThreads,
  type UmapOptions,
  type UmapParams,
  type UmapResult,
  umapNeighbors,
  umapProject,
} from "./umap";
