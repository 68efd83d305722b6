import type { Tensor } from "~/lib/tensor";
import { type AttentionGrids, attentionToGrid } from "./attention-grids";
import type { EncoderState } from "./encode";
import { decoderKeyLength, FlorenceDecoderStepper } from "./florence-decoder";
import { batchesOf, generateBatch } from "./generation";
import type { LoadedModel } from "./load-model";
import {
  type LabelledBox,
  type LabelledQuad,
  parseBoxes,
  parseQuads,
  stripLocTokens,
} from "./loc-postprocess";

export interface DecodingOptions {
  /** 1 = greedy; Florence-2 uses 3. Defaults from the model folder. */
  numBeams?: number;
  noRepeatNgramSize?: number;
  maxNewTokens?: number;
  /** Use the decoder's key/value cache when the graph has one (default true). */
  useCache?: boolean;
}

export interface TaskAnswer {
  task: string;
  /** Plain text (loc tokens removed). */
  text: string;
  /** The raw generated text with `<loc_N>` tokens, as Florence-2's post-processor sees it. */
  rawText: string;
  boxes: LabelledBox[];
  quads: LabelledQuad[];
  tokenIds: number[];
  /** Each generated token's text, for token-level highlighting. */
  tokens: string[];
  /** Answer token → patch cross-attention per decoder layer; null when the export has none. */
  crossAttention: AttentionGrids | null;
  /** Prompt token → patch encoder self-attention per layer; null when the export has none. */
  promptAttention: AttentionGrids | null;
}

/** The image an encoder state belongs to: its size (for boxes) and V's token geometry (for attention grids). */
export interface AnswerImage {
  width: number;
  height: number;
  grid: [number, number];
  hasPooledToken: boolean;
  imageTokens: number;
}

/** Generates one prompt's Florence-2 output from its encoder state and post-processes it. */
export async function answerTask(
  model: LoadedModel,
  state: EncoderState,
  image: AnswerImage,
  options: DecodingOptions = {},
): Promise<TaskAnswer> {
  const [answer] = await answerTasks(model, [{ state, image }], options);
  if (answer === undefined) throw new Error("no task answer");
  return answer;
}

/**
 * Generates the Florence-2 outputs of many encoded prompts (the prompts of a batch of images) with batched
 * decoding: prompts of one padded encoder length (`decoderKeyLength`) decode together, one decoder call per step,
 * so each answer is exactly the one `answerTask` gives alone (rows of one shape do not change each other's
 * logits). Answers in input order.
 */
export async function answerTasks(
  model: LoadedModel,
  items: readonly { state: EncoderState; image: AnswerImage }[],
  options: DecodingOptions = {},
): Promise<TaskAnswer[]> {
  const defaults = model.generation;
  const taskLimit = model.manifest?.florence2.max_new_tokens;
  const numBeams = Math.max(1, options.numBeams ?? defaults.numBeams);
  const answers: TaskAnswer[] = new Array(items.length);
  for (const group of batchesOf(
    items,
    ({ state }) => decoderKeyLength(state.hiddenStates.dims[1] ?? 0),
    numBeams,
  )) {
    const states = group.map((i) => items[i]?.state as EncoderState);
    const stepper = new FlorenceDecoderStepper(model, states, options.useCache ?? true);
    const generated = await generateBatch(
      stepper,
      states.map((state) => ({
        prefixIds: [defaults.decoderStartId],
        eosId: defaults.eosId,
        forcedBosId: defaults.forcedBosId,
        isEosForcedAtLimit: defaults.isEosForced,
        maxNewTokens:
          options.maxNewTokens ?? taskMaxTokens(taskLimit, state.prompt.key) ?? defaults.maxNewTokens,
        noRepeatNgramSize: options.noRepeatNgramSize ?? defaults.noRepeatNgramSize,
        numBeams,
        lengthPenalty: 1,
        earlyStopping: defaults.isEarlyStopping,
      })),
    );
    const cross = await stepper.crossAttention(generated.map((g) => g.ids));
    for (const [k, index] of group.entries()) {
      const item = items[index];
      if (item === undefined) continue;
      answers[index] = taskAnswer(model, item.state, item.image, generated[k]?.ids ?? [], cross?.[k] ?? null);
    }
  }
  return answers;
}

function taskAnswer(
  model: LoadedModel,
  state: EncoderState,
  image: AnswerImage,
  ids: number[],
  cross: Tensor<Float32Array>[] | null,
): TaskAnswer {
  const rawText = model.tokenizer.decodeTaskOutput(ids);
  const tokens = ids.map((id) => model.tokenizer.tokenText(id));
  const firstPatch = image.hasPooledToken ? 1 : 0;
  const promptRows = state.promptIds.map((_, i) => image.imageTokens + i);
  return {
    task: state.prompt.key,
    text: state.prompt.output === "text" ? model.tokenizer.decode(ids).trim() : stripLocTokens(rawText),
    rawText,
    boxes: state.prompt.output === "boxes" ? parseBoxes(rawText, image.width, image.height) : [],
    quads: state.prompt.output === "quads" ? parseQuads(rawText, image.width, image.height) : [],
    tokenIds: ids,
    tokens,
    crossAttention:
      cross === null
        ? null
        : attentionToGrid(
            cross,
            ids.map((_, i) => i),
            firstPatch,
            image.grid,
            tokens,
          ),
    promptAttention:
      state.attentions === null
        ? null
        : attentionToGrid(
            state.attentions,
            promptRows,
            firstPatch,
            image.grid,
            state.promptIds.map((id) => model.tokenizer.tokenText(id)),
          ),
  };
}

// Florence-VL-mini's manifest names its limits by short task name ("caption", "ocr", "region").
const SHORT_TASK_NAME: Record<string, string> = {
  "<DETAILED_CAPTION>": "caption",
  "<OCR>": "ocr",
  "<DENSE_REGION_CAPTION>": "region",
};

function taskMaxTokens(limits: Record<string, number> | undefined, task: string): number | undefined {
  if (limits === undefined) return undefined;
  return limits[task] ?? limits[SHORT_TASK_NAME[task] ?? ""];
}
