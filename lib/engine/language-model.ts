import type { Tensor } from "~/lib/tensor";
import { type AttentionGrids, attentionToGrid, concatQueries } from "./attention-grids";
import { UnsupportedRequestError } from "./errors";
import { batchesOf, generateBatch } from "./generation";
import { LanguageModelStepper, lastHiddenStates, PromptPrefixes } from "./language-model-stepper";
import type { LanguageModelParts, LoadedModel } from "./load-model";
import { hasLanguageModel, type LanguageModelManifest } from "./manifest";
import { type EmbedTokens, tokenEmbedder } from "./token-embeddings";
import { concatBatch, concatTokens } from "./token-ops";

export interface LanguageAnswer {
  question: string;
  text: string;
  tokenIds: number[];
  tokens: string[];
  /** Answer token → visual-token attention per language-model layer; null when the export has none. */
  visualAttention: AttentionGrids | null;
  /** Last-layer hidden state at the last prompt position [hidden]. */
  lastHiddenState: Float32Array;
}

export interface AnswerOptions {
  grid: [number, number];
  hasPooledToken: boolean;
  maxNewTokens?: number;
  /** 1 = greedy (Florence-VL's evaluation setting). */
  numBeams?: number;
  /** Off only to measure what the key/value cache saves. */
  useCache?: boolean;
}

interface LanguageModel {
  lm: LanguageModelParts;
  manifest: LanguageModelManifest;
}

function languageModelOf(model: LoadedModel): LanguageModel {
  if (model.languageModel === null || model.manifest === null || !hasLanguageModel(model.manifest)) {
    throw new UnsupportedRequestError(
      "This model folder has no language model (a stock Florence-2 export): questions need a Florence-VL export.",
    );
  }
  return { lm: model.languageModel, manifest: model.manifest };
}

/** How `tokenizer(chunk)` wraps a chunk of text: the ids it puts before and after the chunk's own tokens. */
function chunkIds(model: LoadedModel, { lm, manifest }: LanguageModel, text: string): number[] {
  const { chat } = manifest;
  const bos = chat.bos_token_id ?? model.generation.bosId;
  const prefix = chat.chunk_prefix_ids ?? (chat.prepend_bos ? [bos] : []);
  return [
    ...prefix,
    ...lm.tokenizer.encode(text, { addSpecialTokens: false }),
    ...(chat.chunk_suffix_ids ?? []),
  ];
}

/**
 * The chat prompt's ids before and after the image, by Florence-VL's tokenizer_image_token: the text on each side
 * of the image placeholder is tokenized on its own; when the first part starts with BOS, the second part drops
 * its first token (its own BOS).
 */
export function chatPromptIds(model: LoadedModel, question: string): { before: number[]; after: number[] } {
  const language = languageModelOf(model);
  const { chat, chat_template: template } = language.manifest;
  const parts = template.split(chat.image_token);
  if (parts.length !== 2)
    throw new UnsupportedRequestError(`The chat template must hold ${chat.image_token} exactly once.`);
  const [before = [], after = []] = parts.map((part) =>
    // A function, so `$&`-like sequences in the question stay literal.
    chunkIds(
      model,
      language,
      part.replace("{question}", () => question),
    ),
  );
  const bos = chat.bos_token_id ?? model.generation.bosId;
  return { before, after: before[0] === bos ? after.slice(1) : after };
}

/** The prompt as the language model reads it: text embeddings with the visual tokens at the image. [1, P, H] */
export async function promptEmbeddings(
  model: LoadedModel,
  visualTokens: Tensor<Float32Array>,
  question: string,
): Promise<{ before: number[]; after: number[]; embeds: Tensor<Float32Array> }> {
  const text = await questionText(model, question);
  return { before: text.before, after: text.after, embeds: withVisualTokens(text, visualTokens) };
}

interface QuestionText {
  before: number[];
  after: number[];
  /** [1, before, H] and [1, after, H]. */
  embedded: [Tensor<Float32Array>, Tensor<Float32Array>];
}

/** The chat prompt's ids and embeddings on each side of the image: they depend on the question alone. */
async function questionText(model: LoadedModel, question: string): Promise<QuestionText> {
  const { before, after } = chatPromptIds(model, question);
  const embed = embedder(languageModelOf(model).lm);
  return { before, after, embedded: [await embed(before, 1), await embed(after, 1)] };
}

function withVisualTokens(text: QuestionText, visualTokens: Tensor<Float32Array>): Tensor<Float32Array> {
  const { prefix, suffix } = splitPrompt(text, visualTokens);
  return concatTokens([prefix, suffix]);
}

/**
 * A prompt as the text before the image plus the image ([1, Pp, H], the part the questions about one image
 * share) and the text after it ([1, Ps, H]).
 */
interface Prompt {
  before: number[];
  visualTokens: Tensor<Float32Array>;
  prefix: Tensor<Float32Array>;
  suffix: Tensor<Float32Array>;
}

function splitPrompt(text: QuestionText, visualTokens: Tensor<Float32Array>): Prompt {
  const visual =
    visualTokens.dims.length === 2
      ? { data: visualTokens.data, dims: [1, ...visualTokens.dims] }
      : visualTokens;
  return {
    before: text.before,
    visualTokens,
    prefix: concatTokens([text.embedded[0], visual]),
    suffix: text.embedded[1],
  };
}

/**
 * The prompts' decoding batches, each with its stepper. Prompts about one image after the same text share a
 * prefix, which runs once for all of them; prefixes come in chunks of at most a batch (so their cache stays the
 * size of one batch's), and each chunk's prompts are batched by the length of what follows the prefix.
 */
function* promptBatches(
  lm: LanguageModelParts,
  prompts: readonly Prompt[],
  numBeams: number,
  useCache: boolean,
): Generator<{ group: number[]; stepper: LanguageModelStepper }> {
  const distinct: { prompt: Prompt; members: number[] }[] = [];
  for (const [i, prompt] of prompts.entries()) {
    const same = distinct.find(
      (d) =>
        d.prompt.visualTokens === prompt.visualTokens &&
        d.prompt.before.length === prompt.before.length &&
        d.prompt.before.every((id, k) => id === prompt.before[k]),
    );
    if (same) same.members.push(i);
    else distinct.push({ prompt, members: [i] });
  }
  const perPrefix = Math.max(1, ...distinct.map((d) => d.members.length));
  const prefixLength = (d: (typeof distinct)[number]) => d.prompt.prefix.dims[1] ?? 0;
  for (const chunk of batchesOf(distinct, prefixLength, numBeams * perPrefix)) {
    const shared = chunk.map((k) => distinct[k] as (typeof distinct)[number]);
    const prefixes = new PromptPrefixes(lm, concatBatch(shared.map((d) => d.prompt.prefix)));
    const members = shared.flatMap((d, u) => d.members.map((index) => ({ index, u })));
    const suffixLength = (m: (typeof members)[number]) => prompts[m.index]?.suffix.dims[1] ?? 0;
    for (const batch of batchesOf(members, suffixLength, numBeams)) {
      const rows = batch.map((b) => members[b] as (typeof members)[number]);
      const suffixes = concatBatch(rows.map((m) => prompts[m.index]?.suffix as Tensor<Float32Array>));
      yield {
        group: rows.map((m) => m.index),
        stepper: new LanguageModelStepper(lm, suffixes, embedder(lm), useCache, {
          prefixes,
          ofPrompt: rows.map((m) => m.u),
        }),
      };
    }
  }
}

function embedder(lm: LanguageModelParts): EmbedTokens {
  return tokenEmbedder(lm.embedTokens);
}

function stopIds(language: LanguageModel): { eosId: number; stopIds: number[] } {
  const { chat } = language.manifest;
  const ids = [chat.end_token, ...(chat.stop_tokens ?? [])]
    .map((token) => language.lm.tokenizer.tokenId(token))
    .filter((id): id is number => id !== undefined);
  const [eosId] = ids;
  if (eosId === undefined)
    throw new UnsupportedRequestError(`The language model's tokenizer has no ${chat.end_token} token.`);
  return { eosId, stopIds: ids.slice(1) };
}

/**
 * Asks the language model a question about one image: the chat template's image placeholder is replaced by the
 * projected (fused) visual tokens, then greedy or beam decoding with the key/value cache until a stop token.
 */
export async function answerQuestion(
  model: LoadedModel,
  visualTokens: Tensor<Float32Array>,
  question: string,
  options: AnswerOptions,
): Promise<LanguageAnswer> {
  const [answer] = await answerQuestions(model, [{ visualTokens, question }], options);
  if (answer === undefined) throw new Error("no answer");
  return answer;
}

/**
 * Asks many (image, question) pairs with batched decoding: the part of the prompt up to the end of the image runs
 * once per image, then the questions of one length decode together, one model call per step, finished answers
 * leaving the batch, so each answer is exactly the one `answerQuestion` gives alone.
 * The images share one token geometry (`options.grid`). Answers in input order.
 */
export async function answerQuestions(
  model: LoadedModel,
  items: readonly { visualTokens: Tensor<Float32Array>; question: string }[],
  options: AnswerOptions,
): Promise<LanguageAnswer[]> {
  const language = languageModelOf(model);
  const { lm, manifest } = language;
  // The text around the image depends only on the question: embedded once per question, not once per image.
  const texts = new Map<string, QuestionText>();
  const prompts: Prompt[] = [];
  for (const { visualTokens, question } of items) {
    const text = texts.get(question) ?? (await questionText(model, question));
    texts.set(question, text);
    prompts.push(splitPrompt(text, visualTokens));
  }
  const stops = stopIds(language);
  const numBeams = Math.max(1, options.numBeams ?? 1);
  const config = {
    prefixIds: [],
    ...stops,
    forcedBosId: null,
    isEosForcedAtLimit: false,
    maxNewTokens: options.maxNewTokens ?? manifest.chat.max_new_tokens,
    noRepeatNgramSize: 0,
    numBeams,
    lengthPenalty: 1,
  };
  const isStop = (id: number) => id === stops.eosId || stops.stopIds.includes(id);
  const answers: LanguageAnswer[] = new Array(items.length);
  for (const { group, stepper } of promptBatches(lm, prompts, numBeams, options.useCache ?? true)) {
    const generated = await generateBatch(
      stepper,
      group.map(() => config),
    );
    for (const [k, index] of group.entries()) {
      const ids = generated[k]?.ids ?? [];
      const prompt = prompts[index];
      const item = items[index];
      if (prompt === undefined || item === undefined) continue;
      const tokens = ids.map((id) => lm.tokenizer.tokenText(id));
      let attentionRows = stepper.attentionRows[k] ?? [];
      if (stepper.hasAttention && numBeams > 1) {
        // Beams ran several rows at once: replay the chosen answer as one row for its attention.
        const [alone] = promptBatches(lm, [prompt], 1, true);
        if (alone === undefined) throw new Error("no batch for one prompt");
        const replay = alone.stepper;
        await replay.first(1);
        for (const id of ids.slice(0, -1)) await replay.next([id], [0]);
        attentionRows = replay.attentionRows[0] ?? [];
      }
      const firstVisual = prompt.before.length + (options.hasPooledToken ? 1 : 0);
      answers[index] = {
        question: item.question,
        text: lm.tokenizer.decode(ids.filter((id) => !isStop(id))).trim(),
        tokenIds: ids,
        tokens,
        visualAttention:
          attentionRows.length === 0
            ? null
            : concatQueries(
                attentionRows
                  .slice(0, ids.length)
                  .map((layers, i) =>
                    attentionToGrid(layers, [0], firstVisual, options.grid, [tokens[i] ?? ""]),
                  ),
              ),
        lastHiddenState: stepper.promptLastHidden[k] ?? new Float32Array(0),
      };
    }
  }
  return answers;
}

/** The language model's last-layer hidden states of a text, tokenized as the model's tokenizer does (with its
 * special tokens): the paper's text features f_t. [tokens, hidden] */
export async function textFeatures(model: LoadedModel, text: string): Promise<Tensor<Float32Array>> {
  const language = languageModelOf(model);
  const ids = chunkIds(model, language, text);
  const hidden = await lastHiddenStates(language.lm, await embedder(language.lm)(ids, 1));
  return { data: hidden.data, dims: hidden.dims.slice(1) };
}
