import type { EncodedImage } from "./encode";
import { type AnswerOptions, answerQuestions, type LanguageAnswer } from "./language-model";
import type { LoadedModel } from "./load-model";
import { answerTasks, type DecodingOptions, type TaskAnswer } from "./task-answers";

export interface ImageAnswersRequest {
  /** The prompts whose Florence-2 answers are wanted (task tokens or their text), when `includeTaskAnswers`. */
  prompts: readonly string[];
  includeTaskAnswers: boolean;
  /** Questions for the language model, asked of every image (none for a folder without one). */
  questions: readonly string[];
  decoding: DecodingOptions;
  /** Language-model decoding (beams, token limit); the images' geometry is filled in here. */
  answering?: Omit<AnswerOptions, "grid" | "hasPooledToken">;
}

/**
 * The task answers and question answers of a batch of encoded images, decoded as one batch per prompt and question
 * length (answerTasks, answerQuestions) instead of image by image; from the encoder states and fused features the
 * features already hold. Per image, in input order.
 */
export async function answerEncodedImages(
  model: LoadedModel,
  images: readonly { encoded: EncodedImage; width: number; height: number }[],
  request: ImageAnswersRequest,
): Promise<{ tasks: TaskAnswer[]; answers: LanguageAnswer[] }[]> {
  const taskItems = request.includeTaskAnswers
    ? images.flatMap(({ encoded, width, height }, image) =>
        encoded.encoder
          .filter((s) => request.prompts.includes(s.prompt.key) || request.prompts.includes(s.prompt.text))
          .map((state) => ({
            image,
            state,
            geometry: {
              width,
              height,
              grid: encoded.grid,
              hasPooledToken: encoded.sources["depth:V"]?.hasPooledToken ?? false,
              imageTokens: encoded.imageTokenCount,
            },
          })),
      )
    : [];
  const tasks = await answerTasks(
    model,
    taskItems.map(({ state, geometry }) => ({ state, image: geometry })),
    request.decoding,
  );
  const questionItems =
    model.languageModel === null
      ? []
      : images.flatMap(({ encoded }, image) => {
          const fused = encoded.sources.fused;
          return fused === undefined ? [] : request.questions.map((question) => ({ image, question, fused }));
        });
  const [first] = questionItems;
  const answers =
    first === undefined
      ? []
      : await answerQuestions(
          model,
          questionItems.map(({ fused, question }) => ({ visualTokens: fused.tensor, question })),
          { ...request.answering, grid: first.fused.grid, hasPooledToken: first.fused.hasPooledToken },
        );
  return images.map((_, image) => ({
    tasks: tasks.filter((_, k) => taskItems[k]?.image === image),
    answers: answers.filter((_, k) => questionItems[k]?.image === image),
  }));
}
