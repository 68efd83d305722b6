/**
 * Greedy and beam-search decoding over any autoregressive model, with Hugging Face semantics for the logits
 * processors Florence-2 uses (forced BOS after the decoder start token, forced EOS at the length limit,
 * no-repeat n-grams) and for beam scoring (sum of log-probabilities / length^length_penalty).
 */

/** Runs the model one step for `rows` sequences (rows = beams). */
export interface Stepper {
  readonly vocabSize: number;
  /** Consumes the prompt (or the decoder start token); returns the next-token logits [rows, vocab]. */
  first(rows: number): Promise<Float32Array>;
  /**
   * Appends `tokens[r]` to row r, where `parents[r]` is the row of the previous step that row r continues (the
   * model reorders its key/value cache accordingly). Returns logits [rows, vocab].
   */
  next(tokens: readonly number[], parents: readonly number[]): Promise<Float32Array>;
}

export interface GenerationConfig {
  /** What the sequence holds before the first generated token, for the n-gram rule (Florence-2: `</s>` = 2). */
  prefixIds: readonly number[];
  eosId: number;
  /** Further ids that end a sequence as `eosId` does (a chat model's end-of-turn tokens). */
  stopIds?: readonly number[];
  /** Forced as the first generated token (Florence-2: `<s>` = 0), or null. */
  forcedBosId: number | null;
  /** Force EOS as the last token allowed by `maxNewTokens` (Florence-2's forced_eos_token_id). */
  isEosForcedAtLimit: boolean;
  maxNewTokens: number;
  /** 0 disables; Florence-2 uses 3. */
  noRepeatNgramSize: number;
  /** 1 = greedy. */
  numBeams: number;
  lengthPenalty: number;
  /** Hugging Face's early_stopping=true: beam search ends as soon as `numBeams` hypotheses have finished. */
  earlyStopping?: boolean;
}

export interface Generated {
  /** Generated ids after the start token, including a forced BOS and the final EOS when reached. */
  ids: number[];
  /** Sum of log-probabilities (greedy) or the length-normalised beam score. */
  score: number;
}

export async function generate(stepper: Stepper, config: GenerationConfig): Promise<Generated> {
  return config.numBeams <= 1 ? greedy(stepper, config) : beamSearch(stepper, config);
}

async function greedy(stepper: Stepper, config: GenerationConfig): Promise<Generated> {
  const ids: number[] = [];
  let score = 0;
  let logits = await stepper.first(1);
  for (let t = 0; t < config.maxNewTokens; t++) {
    const logprobs = processedLogprobs(
      logits,
      0,
      stepper.vocabSize,
      [...config.prefixIds, ...ids],
      t,
      config,
    );
    const token = argmax(logprobs);
    score += logprobs[token] ?? 0;
    ids.push(token);
    if (isStop(token, config) || t === config.maxNewTokens - 1) break;
    logits = await stepper.next([token], [0]);
  }
  return { ids, score };
}

interface Hypothesis {
  ids: number[];
  score: number;
}

async function beamSearch(stepper: Stepper, config: GenerationConfig): Promise<Generated> {
  const beams = config.numBeams;
  const vocab = stepper.vocabSize;
  let sequences: number[][] = Array.from({ length: beams }, () => []);
  // Only the first beam is live at the start, so the first step does not pick the same token `beams` times.
  let beamScores: number[] = Array.from({ length: beams }, (_, b) => (b === 0 ? 0 : -1e9));
  const finished: Hypothesis[] = [];
  const normalise = (sum: number, length: number) => sum / length ** config.lengthPenalty;
  let logits = await stepper.first(beams);
  let isStoppedEarly = false;

  for (let t = 0; t < config.maxNewTokens; t++) {
    const candidates: { row: number; token: number; score: number }[] = [];
    for (let row = 0; row < beams; row++) {
      const history = [...config.prefixIds, ...(sequences[row] ?? [])];
      const logprobs = processedLogprobs(logits, row, vocab, history, t, config);
      for (const token of topK(logprobs, 2 * beams)) {
        candidates.push({ row, token, score: (logprobs[token] ?? -Infinity) + (beamScores[row] ?? 0) });
      }
    }
    candidates.sort((a, b) => b.score - a.score);
    const next: { row: number; token: number; score: number }[] = [];
    for (const [rank, candidate] of candidates.slice(0, 2 * beams).entries()) {
      if (isStop(candidate.token, config)) {
        // As in Hugging Face: an EOS outside the top `beams` candidates does not finish a hypothesis.
        if (rank >= beams) continue;
        const ids = [...(sequences[candidate.row] ?? []), candidate.token];
        addHypothesis(finished, { ids, score: normalise(candidate.score, ids.length) }, beams);
      } else {
        next.push(candidate);
      }
      if (next.length === beams) break;
    }
    const isLastStep = t === config.maxNewTokens - 1 || next.length === 0;
    const bestRunning = next[0]?.score ?? -Infinity;
    const isDone =
      finished.length >= beams &&
      (config.earlyStopping === true ||
        Math.min(...finished.map((h) => h.score)) >= normalise(bestRunning, (sequences[0]?.length ?? 0) + 1));
    sequences = next.map((candidate) => [...(sequences[candidate.row] ?? []), candidate.token]);
    beamScores = next.map((candidate) => candidate.score);
    if (isDone || isLastStep) {
      // With early stopping, the finished hypotheses are the answer (Hugging Face never adds the running beams).
      isStoppedEarly = isDone && config.earlyStopping === true;
      break;
    }
    logits = await stepper.next(
      next.map((candidate) => candidate.token),
      next.map((candidate) => candidate.row),
    );
  }
  for (const [row, ids] of isStoppedEarly ? [] : sequences.entries()) {
    addHypothesis(finished, { ids, score: normalise(beamScores[row] ?? -Infinity, ids.length) }, beams);
  }
  const best = finished.reduce((a, b) => (b.score > a.score ? b : a));
  return { ids: best.ids, score: best.score };
}

function isStop(token: number, config: GenerationConfig): boolean {
  return token === config.eosId || (config.stopIds?.includes(token) ?? false);
}

/** Keeps the `capacity` best hypotheses. */
function addHypothesis(finished: Hypothesis[], hypothesis: Hypothesis, capacity: number): void {
  if (finished.length < capacity) {
    finished.push(hypothesis);
    return;
  }
  let worst = 0;
  for (let i = 1; i < finished.length; i++)
    if ((finished[i]?.score ?? 0) < (finished[worst]?.score ?? 0)) worst = i;
  if (hypothesis.score > (finished[worst]?.score ?? -Infinity)) finished[worst] = hypothesis;
}

/** Log-softmax of one row, then the logits processors: forced tokens and banned n-gram completions. */
function processedLogprobs(
  logits: Float32Array,
  row: number,
  vocab: number,
  history: readonly number[],
  step: number,
  config: GenerationConfig,
): Float32Array {
  const out = logSoftmax(logits.subarray(row * vocab, (row + 1) * vocab));
  const forced =
    step === 0 && config.forcedBosId !== null
      ? config.forcedBosId
      : config.isEosForcedAtLimit && step === config.maxNewTokens - 1
        ? config.eosId
        : null;
  if (forced !== null) {
    // Hugging Face's forced-token processors set every other logit to -inf and the forced one to 0.
    out.fill(-Infinity);
    out[forced] = 0;
    return out;
  }
  for (const banned of bannedNgramTokens(history, config.noRepeatNgramSize)) out[banned] = -Infinity;
  return out;
}

/** Tokens that would repeat an n-gram already in `history` (Hugging Face's NoRepeatNGramLogitsProcessor). */
export function bannedNgramTokens(history: readonly number[], n: number): number[] {
  if (n <= 0 || history.length + 1 < n) return [];
  const prefix = history.slice(history.length - n + 1).join(",");
  const banned: number[] = [];
  for (let i = 0; i + n <= history.length; i++) {
    if (history.slice(i, i + n - 1).join(",") === prefix) banned.push(history[i + n - 1] ?? -1);
  }
  return banned;
}

function logSoftmax(row: Float32Array): Float32Array {
  let max = -Infinity;
  for (const value of row) if (value > max) max = value;
  let sum = 0;
  for (const value of row) sum += Math.exp(value - max);
  const logSum = max + Math.log(sum);
  const out = new Float32Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = (row[i] ?? 0) - logSum;
  return out;
}

/** Index of the largest value; the first one on ties, like torch.argmax. */
export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] ?? -Infinity) > (values[best] ?? -Infinity)) best = i;
  return best;
}

function topK(values: Float32Array, k: number): number[] {
  const indices: number[] = [];
  for (let i = 0; i < values.length; i++) {
    if ((values[i] ?? -Infinity) === -Infinity) continue;
    if (indices.length < k) {
      indices.push(i);
      indices.sort((a, b) => (values[b] ?? 0) - (values[a] ?? 0));
    } else if ((values[i] ?? 0) > (values[indices[k - 1] ?? 0] ?? 0)) {
      indices[k - 1] = i;
      indices.sort((a, b) => (values[b] ?? 0) - (values[a] ?? 0));
    }
  }
  return indices;
}
