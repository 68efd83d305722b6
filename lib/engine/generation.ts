/**
 * Greedy and beam-search decoding over any autoregressive model, with Hugging Face semantics for the logits
 * processors Florence-2 uses (forced BOS after the decoder start token, forced EOS at the length limit,
 * no-repeat n-grams) and for beam scoring (sum of log-probabilities / length^length_penalty).
 */

/**
 * Runs the model one step for a batch of sequences, each expanded to the same number of rows (its beams; 1 for
 * greedy). Rows are ordered by sequence: sequence s owns rows [s·rows, (s+1)·rows) after `first`.
 */
export interface Stepper {
  readonly vocabSize: number;
  /** How many sequences (prompts) the stepper holds. */
  readonly sequenceCount: number;
  /** Consumes every prompt (or the decoder start token); returns the next-token logits [sequences·rows, vocab]. */
  first(rows: number): Promise<Float32Array>;
  /**
   * Appends `tokens[r]` to row r, where `parents[r]` is the row of the previous step that row r continues (the
   * model reorders its key/value cache accordingly). Rows of finished sequences are left out, so the batch
   * shrinks as sequences stop. Returns logits [tokens.length, vocab].
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
  /**
   * The length-normalised beam score (beam search); null for greedy decoding, which picks the argmax of the
   * processed logits without normalising them (a log-sum-exp over the vocabulary per step that nothing reads).
   */
  score: number | null;
}

/** Decodes the stepper's single sequence. */
export async function generate(stepper: Stepper, config: GenerationConfig): Promise<Generated> {
  const [generated] = await generateBatch(stepper, [config]);
  if (generated === undefined) throw new Error("the stepper holds no sequence");
  return generated;
}

/**
 * Decodes all of the stepper's sequences in lockstep, one model call per step for the whole batch: each sequence
 * runs its own greedy or beam search (per-sequence configs, one beam count), and a sequence that has finished
 * leaves the batch. Every sequence gets exactly the tokens `generate` gives it alone, provided the stepper's rows
 * do not influence each other.
 */
export async function generateBatch(
  stepper: Stepper,
  configs: readonly GenerationConfig[],
): Promise<Generated[]> {
  if (configs.length !== stepper.sequenceCount)
    throw new Error(`${configs.length} generation configs for ${stepper.sequenceCount} sequences`);
  const rows = Math.max(1, configs[0]?.numBeams ?? 1);
  if (configs.some((config) => Math.max(1, config.numBeams) !== rows))
    throw new Error("every sequence of a batch needs the same number of beams");
  const searches: Search[] = configs.map((config) =>
    rows === 1 ? new GreedySearch(config, stepper.vocabSize) : new BeamSearch(config, stepper.vocabSize),
  );
  // Where each live search's rows sit in the current logits.
  let live = searches
    .map((search, s) => ({ search, offset: s * rows, count: rows }))
    .filter((_, s) => (configs[s]?.maxNewTokens ?? 0) > 0);
  let logits = await stepper.first(rows);
  for (let t = 0; live.length > 0; t++) {
    const tokens: number[] = [];
    const parents: number[] = [];
    const next: typeof live = [];
    for (const { search, offset, count } of live) {
      const picks = search.step(
        logits.subarray(offset * stepper.vocabSize, (offset + count) * stepper.vocabSize),
        t,
      );
      if (picks === null) continue;
      next.push({ search, offset: tokens.length, count: picks.tokens.length });
      tokens.push(...picks.tokens);
      parents.push(...picks.parents.map((parent) => offset + parent));
    }
    live = next;
    if (live.length > 0) logits = await stepper.next(tokens, parents);
  }
  return searches.map((search) => search.result());
}

// Rows (sequences × beams) per model call: bounds the batched key/value cache of full-size models; the mini
// model's batches of a few dozen images stay within one call per prompt length.
const MAX_BATCH_ROWS = 96;

/**
 * Indices of `items` in batches of one `key` (rows of one shape), each at most MAX_BATCH_ROWS rows of `rowsPerItem`.
 */
export function batchesOf<T>(items: readonly T[], key: (item: T) => number, rowsPerItem: number): number[][] {
  const byKey = new Map<number, number[]>();
  for (const [i, item] of items.entries()) {
    const k = key(item);
    byKey.set(k, [...(byKey.get(k) ?? []), i]);
  }
  const size = Math.max(1, Math.floor(MAX_BATCH_ROWS / rowsPerItem));
  return [...byKey.values()].flatMap((indices) =>
    Array.from({ length: Math.ceil(indices.length / size) }, (_, b) =>
      indices.slice(b * size, (b + 1) * size),
    ),
  );
}

/** One sequence's search: given its rows' logits at step t, the next tokens and parent rows, or null when done. */
interface Search {
  step(logits: Float32Array, t: number): { tokens: number[]; parents: number[] } | null;
  result(): Generated;
}

class GreedySearch implements Search {
  private readonly ids: number[] = [];

  constructor(
    private readonly config: GenerationConfig,
    private readonly vocab: number,
  ) {}

  step(logits: Float32Array, t: number): { tokens: number[]; parents: number[] } | null {
    const { config, ids } = this;
    // The processed log-probabilities' argmax without materialising them: the forced token, or the best
    // unbanned logit (log-softmax keeps the order).
    const token =
      forcedToken(t, config) ??
      argmaxExcept(
        logits.subarray(0, this.vocab),
        bannedNgramTokens([...config.prefixIds, ...ids], config.noRepeatNgramSize),
      );
    ids.push(token);
    if (isStop(token, config) || t >= config.maxNewTokens - 1) return null;
    return { tokens: [token], parents: [0] };
  }

  result(): Generated {
    return { ids: this.ids, score: null };
  }
}

interface Hypothesis {
  ids: number[];
  score: number;
}

class BeamSearch implements Search {
  private readonly beams: number;
  private sequences: number[][];
  // Only the first beam is live at the start, so the first step does not pick the same token `beams` times.
  private beamScores: number[];
  private readonly finished: Hypothesis[] = [];
  private isStoppedEarly = false;

  constructor(
    private readonly config: GenerationConfig,
    private readonly vocab: number,
  ) {
    this.beams = config.numBeams;
    this.sequences = Array.from({ length: this.beams }, () => []);
    this.beamScores = Array.from({ length: this.beams }, (_, b) => (b === 0 ? 0 : -1e9));
  }

  private normalise(sum: number, length: number): number {
    return sum / length ** this.config.lengthPenalty;
  }

  step(logits: Float32Array, t: number): { tokens: number[]; parents: number[] } | null {
    const { beams, config, finished } = this;
    const candidates: { row: number; token: number; score: number }[] = [];
    for (let row = 0; row < this.sequences.length; row++) {
      const history = [...config.prefixIds, ...(this.sequences[row] ?? [])];
      const logprobs = processedLogprobs(logits, row, this.vocab, history, t, config);
      for (const token of topK(logprobs, 2 * beams)) {
        candidates.push({ row, token, score: (logprobs[token] ?? -Infinity) + (this.beamScores[row] ?? 0) });
      }
    }
    candidates.sort((a, b) => b.score - a.score);
    const next: { row: number; token: number; score: number }[] = [];
    for (const [rank, candidate] of candidates.slice(0, 2 * beams).entries()) {
      if (isStop(candidate.token, config)) {
        // As in Hugging Face: an EOS outside the top `beams` candidates does not finish a hypothesis.
        if (rank >= beams) continue;
        const ids = [...(this.sequences[candidate.row] ?? []), candidate.token];
        addHypothesis(finished, { ids, score: this.normalise(candidate.score, ids.length) }, beams);
      } else {
        next.push(candidate);
      }
      if (next.length === beams) break;
    }
    const isLastStep = t >= config.maxNewTokens - 1 || next.length === 0;
    const bestRunning = next[0]?.score ?? -Infinity;
    const isDone =
      finished.length >= beams &&
      (config.earlyStopping === true ||
        Math.min(...finished.map((h) => h.score)) >=
          this.normalise(bestRunning, (this.sequences[0]?.length ?? 0) + 1));
    this.sequences = next.map((candidate) => [...(this.sequences[candidate.row] ?? []), candidate.token]);
    this.beamScores = next.map((candidate) => candidate.score);
    if (isDone || isLastStep) {
      // With early stopping, the finished hypotheses are the answer (Hugging Face never adds the running beams).
      this.isStoppedEarly = isDone && config.earlyStopping === true;
      return null;
    }
    return {
      tokens: next.map((candidate) => candidate.token),
      parents: next.map((candidate) => candidate.row),
    };
  }

  result(): Generated {
    const { finished } = this;
    for (const [row, ids] of this.isStoppedEarly ? [] : this.sequences.entries()) {
      addHypothesis(
        finished,
        { ids, score: this.normalise(this.beamScores[row] ?? -Infinity, ids.length) },
        this.beams,
      );
    }
    const best = finished.reduce((a, b) => (b.score > a.score ? b : a));
    return { ids: best.ids, score: best.score };
  }
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
  const forced = forcedToken(step, config);
  if (forced !== null) {
    // Hugging Face's forced-token processors set every other logit to -inf and the forced one to 0.
    out.fill(-Infinity);
    out[forced] = 0;
    return out;
  }
  for (const banned of bannedNgramTokens(history, config.noRepeatNgramSize)) out[banned] = -Infinity;
  return out;
}

/** The token the forced-BOS / forced-EOS processors impose at `step`, or null. */
function forcedToken(step: number, config: GenerationConfig): number | null {
  if (step === 0 && config.forcedBosId !== null) return config.forcedBosId;
  return config.isEosForcedAtLimit && step === config.maxNewTokens - 1 ? config.eosId : null;
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

/** argmax over the indices not in `excluded`, the first on ties like torch.argmax; 0 when all are excluded. */
function argmaxExcept(values: Float32Array, excluded: readonly number[]): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] ?? -Infinity;
    if (value > bestValue && !excluded.includes(i)) {
      best = i;
      bestValue = value;
    }
  }
  return Math.max(0, best);
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
