/** Inputs an analysis cannot run on (too few samples, mismatched rows); the message says what to change. */
export class AnalysisInputError extends Error {
  override readonly name = "AnalysisInputError";
}
