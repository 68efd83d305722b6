/**
 * lib/engine: load a Florence-2 / Florence-VL model folder and compute features, answers and attention maps; or a
 * comparison encoder (CLIP, SigLIP, DINOv2) folder and compute its one feature source.
 */
// ONNX Runtime and sharp are native: the engine never goes into a browser bundle (package.json "imports").
import "#server-only";

export { type AttentionGrids, selectGrid } from "~/lib/tensor/attention-grids";
export { answerEncodedImages, type ImageAnswersRequest } from "./answer-images";
export {
  type BreadthMode,
  breadthMode,
  type EncodedImage,
  type EncodeRequest,
  encodeImages,
  type FeatureSource,
  fusionOrder,
} from "./encode";
export { ExecutionProviderError, ImageInputError, ModelFolderError, UnsupportedRequestError } from "./errors";
export {
  answerQuestion,
  answerQuestions,
  chatPromptIds,
  type LanguageAnswer,
  promptEmbeddings,
  textFeatures,
} from "./language-model";
export { type LoadedModel, loadModel, type ModelDtype, variantFile } from "./load-model";
export { type LoadedModelFolder, loadModelFolder } from "./load-model-folder";
export { type LabelledBox, type LabelledQuad, parseBoxes, parseQuads } from "./loc-postprocess";
export { describeModel, type ModelInfo } from "./model-info";
export { type ExecutionProvider, isProviderInstalled, ORT_VERSION, type SessionSettings } from "./ort-graph";
export { type PreprocessedImage, preprocessImage } from "./preprocess";
export {
  type AnswerImage,
  answerTask,
  answerTasks,
  type DecodingOptions,
  type TaskAnswer,
} from "./task-answers";
export { FLORENCE_VL_BREADTH_TASKS, FLORENCE2_TASKS, resolvePrompt } from "./task-prompts";
export { type EncoderFamily, type LoadedVisionEncoder, runVisionEncoder } from "./vision-encoder";
