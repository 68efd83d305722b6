/** Typed errors of the engine: each names what was wrong and what was expected, so users can act on it. */

export type ModelFolderProblem =
  | "missing-file"
  | "bad-json"
  | "bad-graph"
  | "wrong-inputs"
  | "wrong-outputs"
  | "wrong-dtype"
  | "wrong-shape"
  | "checksum-mismatch"
  | "unknown-model-type";

export class ModelFolderError extends Error {
  override name = "ModelFolderError";
  constructor(
    readonly problem: ModelFolderProblem,
    /** The file inside the model folder the problem is about. */
    readonly file: string,
    /** What the contract expects there. */
    readonly expected: string,
    detail?: string,
  ) {
    super(`${file}: ${problem.replaceAll("-", " ")} — expected ${expected}${detail ? ` (${detail})` : ""}`);
  }
}

export type ImageProblem = "empty" | "unsupported-format" | "corrupt" | "too-many-pixels";

export class ImageInputError extends Error {
  override name = "ImageInputError";
  constructor(
    readonly problem: ImageProblem,
    message: string,
  ) {
    super(message);
  }
}

export class ExecutionProviderError extends Error {
  override name = "ExecutionProviderError";
}

/** A request the loaded model cannot serve (e.g. a question to a Florence-2 folder that has no language model). */
export class UnsupportedRequestError extends Error {
  override name = "UnsupportedRequestError";
}
