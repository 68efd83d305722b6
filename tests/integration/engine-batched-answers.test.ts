import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  answerQuestion,
  answerQuestions,
  answerTask,
  answerTasks,
  type EncodedImage,
  encodeImages,
  type LoadedModel,
  loadModel,
  preprocessImage,
} from "~/lib/engine";
import { maxAbsDiff } from "../helpers/engine-fixtures";
import { MINI_MODEL_DIR, PARITY_FIXTURES_DIR } from "../helpers/mini-model-paths";

// Batched decoding must give each image exactly the tokens it gets decoded alone; the attention maps come from a
// padded teacher-forced pass (cross-attention) or the same batched calls (questions), within float rounding.
const ATTENTION_TOLERANCE = 1e-5;
const SESSION = {
  executionProvider: "cpu" as const,
  intraOpThreads: 1,
  interOpThreads: 1,
  allowSpinning: false,
};
// Florence-VL's three prompts and a free-text one: four encoder lengths.
const PROMPTS = [
  "<DETAILED_CAPTION>",
  "<OCR>",
  "<DENSE_REGION_CAPTION>",
  "What colour is the largest object?",
];
// The demo run's two questions and a longer one: three prompt lengths.
const QUESTIONS = [
  "How many objects are there?",
  "What word is written in the image?",
  "Is there a red object to the left of the largest shape in the image?",
];
const BATCH_SIZES = [2, 5, 8];

let model: LoadedModel;
const images: { encoded: EncodedImage; width: number; height: number }[] = [];

beforeAll(async () => {
  model = await loadModel(MINI_MODEL_DIR, { session: SESSION });
  const dir = path.join(PARITY_FIXTURES_DIR, "images");
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith(".png")).sort();
  const pixels = [];
  for (const file of files) {
    const pre = await preprocessImage(await fs.readFile(path.join(dir, file)), model.preprocess, {
      maxInputPixels: 1e8,
    });
    pixels.push(pre);
  }
  const encoded = await encodeImages(
    model,
    pixels.map((p) => p.pixelValues),
    { prompts: PROMPTS, includeStages: false, includeFused: true, includeAttention: true },
  );
  for (const [i, item] of encoded.entries())
    images.push({ encoded: item, ...(pixels[i]?.original ?? { width: 0, height: 0 }) });
});

afterAll(async () => {
  await model?.release();
});

function taskItems(count: number) {
  return images.slice(0, count).flatMap(({ encoded, width, height }) =>
    encoded.encoder.map((state) => ({
      state,
      image: {
        width,
        height,
        grid: encoded.grid,
        hasPooledToken: true,
        imageTokens: encoded.imageTokenCount,
      },
    })),
  );
}

describe("batched answers on the mini model equal one-at-a-time decoding", () => {
  it("has 8 images whose prompts have four encoder lengths", () => {
    expect(images.length).toBe(8);
    const lengths = new Set(images[0]?.encoded.encoder.map((s) => s.hiddenStates.dims[1]));
    expect(lengths.size).toBe(4);
  });

  for (const numBeams of [1, 3]) {
    it(`task answers, ${numBeams === 1 ? "greedy" : "beam search"}, batches of ${BATCH_SIZES.join(", ")} images`, async () => {
      const items = taskItems(Math.max(...BATCH_SIZES));
      const alone = [];
      for (const { state, image } of items) alone.push(await answerTask(model, state, image, { numBeams }));
      // Sequences of different lengths: some answers stop long before others.
      expect(new Set(alone.map((a) => a.tokenIds.length)).size).toBeGreaterThan(3);
      for (const size of BATCH_SIZES) {
        const batched = await answerTasks(model, items.slice(0, size * PROMPTS.length), { numBeams });
        for (const [i, answer] of batched.entries()) {
          const expected = alone[i];
          expect(answer.tokenIds, `${size} images, item ${i}`).toEqual(expected?.tokenIds);
          expect(answer.rawText).toBe(expected?.rawText);
          expect(answer.boxes).toEqual(expected?.boxes);
          expect(
            maxAbsDiff(answer.crossAttention?.data ?? [], expected?.crossAttention?.data ?? []),
          ).toBeLessThan(ATTENTION_TOLERANCE);
          expect(answer.promptAttention).toEqual(expected?.promptAttention);
        }
      }
    });
  }

  for (const numBeams of [1, 3]) {
    it(`questions, ${numBeams === 1 ? "greedy" : "beam search"}, batches of ${BATCH_SIZES.join(", ")} images`, async () => {
      const items = images.flatMap(({ encoded }) =>
        QUESTIONS.map((question) => ({ visualTokens: encoded.sources.fused?.tensor as never, question })),
      );
      const options = { grid: images[0]?.encoded.grid ?? [0, 0], hasPooledToken: true, numBeams } as const;
      const alone = [];
      for (const { visualTokens, question } of items)
        alone.push(await answerQuestion(model, visualTokens, question, options));
      for (const size of BATCH_SIZES) {
        const batched = await answerQuestions(model, items.slice(0, size * QUESTIONS.length), options);
        for (const [i, answer] of batched.entries()) {
          const expected = alone[i];
          expect(answer.tokenIds, `${size} images, item ${i}`).toEqual(expected?.tokenIds);
          expect(answer.text).toBe(expected?.text);
          expect(answer.lastHiddenState).toEqual(expected?.lastHiddenState);
          expect(
            maxAbsDiff(answer.visualAttention?.data ?? [], expected?.visualAttention?.data ?? []),
          ).toBeLessThan(ATTENTION_TOLERANCE);
        }
      }
    });
  }

  it("answers without the key/value cache as with it, batched", async () => {
    const items = taskItems(3);
    const cached = await answerTasks(model, items, { numBeams: 3 });
    const uncached = await answerTasks(model, items, { numBeams: 3, useCache: false });
    expect(uncached.map((a) => a.tokenIds)).toEqual(cached.map((a) => a.tokenIds));
  });
});
