import { AppError } from "~/server/app-error";
import type { InferenceClient } from "~/server/services/inference-client";
import { readStoredFile } from "~/server/store/content-store";
import type { Db } from "~/server/store/db";
import { callInference } from "./call-inference";
import { findRunImage } from "./find-run-image";

export interface LiveAnswerView {
  question: string;
  text: string;
  /** Generated tokens, for token-level display. */
  tokens: string[];
}

/** Asks the served Florence-VL language model a question about one stored image, live. */
export async function askQuestion(options: {
  db: Db;
  dataDir: string;
  inference: InferenceClient;
  /** When given, the image must belong to this run's dataset. */
  runId?: string;
  imageSha256: string;
  question: string;
}): Promise<LiveAnswerView> {
  // A run's question goes to the run's model; one about a dataset image to the default model.
  const found =
    options.runId === undefined
      ? { run: null, image: await options.db.image.findUnique({ where: { sha256: options.imageSha256 } }) }
      : await findRunImage(options.db, options.runId, { sha256: options.imageSha256 });
  const { image } = found;
  if (image === null) throw new AppError("NOT_FOUND", `No stored image ${options.imageSha256}.`);
  if (image.problem !== null) throw new AppError("BAD_INPUT", `This file is not an image: ${image.problem}`);
  const bytes = new Uint8Array(await readStoredFile(options.dataDir, image.storagePath));
  const answer = await callInference("Live questions need the language model", () =>
    options.inference.answer.mutate({
      ...(found.run === null ? {} : { model: found.run.modelDir }),
      image: { name: image.sha256, bytes },
      question: options.question,
    }),
  );
  return { question: answer.question, text: answer.text, tokens: answer.tokens };
}
