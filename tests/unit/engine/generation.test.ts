import { describe, expect, it } from "vitest";
import {
  bannedNgramTokens,
  batchesOf,
  type GenerationConfig,
  generate,
  generateBatch,
  type Stepper,
} from "~/lib/engine/generation";

const START = 2;
const BOS = 0;
const EOS = 1;

/** A bigram language model over a tiny vocabulary: the next-token distribution depends on the last token only. */
function bigramStepper(table: Record<number, number[]>, vocabSize: number): Stepper {
  const logitsAfter = (tokens: readonly number[]) => {
    const logits = new Float32Array(tokens.length * vocabSize).fill(-20);
    for (const [row, token] of tokens.entries()) {
      const probs = table[token] ?? [];
      for (const [next, p] of probs.entries()) logits[row * vocabSize + next] = Math.log(p);
    }
    return logits;
  };
  return {
    vocabSize,
    sequenceCount: 1,
    first: async (rows) => logitsAfter(Array(rows).fill(START)),
    next: async (tokens) => logitsAfter(tokens),
  };
}

/**
 * Several bigram models in one batch: sequence s follows `tables[s]`. Rows track their sequence through the parents
 * the search passes, as a model's batched cache does; every call's row count is recorded.
 */
function batchedBigramStepper(tables: Record<number, number[]>[], vocabSize: number) {
  let rowSequence: number[] = [];
  const calls: number[] = [];
  const logitsAfter = (tokens: readonly number[]) => {
    calls.push(tokens.length);
    const logits = new Float32Array(tokens.length * vocabSize).fill(-20);
    for (const [row, token] of tokens.entries()) {
      const probs = tables[rowSequence[row] ?? 0]?.[token] ?? [];
      for (const [next, p] of probs.entries()) logits[row * vocabSize + next] = Math.log(p);
    }
    return logits;
  };
  const stepper: Stepper = {
    vocabSize,
    sequenceCount: tables.length,
    first: async (rows) => {
      rowSequence = tables.flatMap((_, s) => Array<number>(rows).fill(s));
      return logitsAfter(rowSequence.map(() => START));
    },
    next: async (tokens, parents) => {
      rowSequence = parents.map((parent) => rowSequence[parent] ?? -1);
      return logitsAfter(tokens);
    },
  };
  return { stepper, calls };
}

const base: GenerationConfig = {
  prefixIds: [START],
  eosId: EOS,
  forcedBosId: BOS,
  isEosForcedAtLimit: false,
  maxNewTokens: 6,
  noRepeatNgramSize: 0,
  numBeams: 1,
  lengthPenalty: 1,
};

describe("bannedNgramTokens", () => {
  it("bans the token that would complete an n-gram already present", () => {
    expect(bannedNgramTokens([5, 6, 7, 5, 6], 3)).toEqual([7]);
    expect(bannedNgramTokens([5, 6, 7, 5, 6], 2)).toEqual([7]);
    expect(bannedNgramTokens([5, 6, 5, 7, 5], 2)).toEqual([6, 7]);
    expect(bannedNgramTokens([5, 6], 3)).toEqual([]);
    expect(bannedNgramTokens([5, 6, 7], 0)).toEqual([]);
  });
});

describe("generate", () => {
  // Vocabulary: 0 BOS, 1 EOS, 2 START, 3 "a", 4 "b".
  const table = {
    0: [0, 0, 0, 0.6, 0.4],
    3: [0, 0.45, 0, 0.1, 0.45],
    4: [0, 0.9, 0, 0.05, 0.05],
  };

  it("greedy forces BOS, follows the argmax and stops at EOS", async () => {
    const result = await generate(bigramStepper(table, 5), base);
    // BOS → a (0.6) → EOS (0.45, first on the tie with b) .
    expect(result.ids).toEqual([BOS, 3, EOS]);
    expect(result.score).toBeNull();
  });

  it("beam search finds the more probable sequence greedy misses", async () => {
    // BOS → b → EOS has probability 0.4 · 0.9 = 0.36 > BOS → a → EOS 0.6 · 0.45 = 0.27.
    const result = await generate(bigramStepper(table, 5), { ...base, numBeams: 3 });
    expect(result.ids).toEqual([BOS, 4, EOS]);
    expect(result.score).toBeCloseTo((Math.log(0.4) + Math.log(0.9)) / 3, 5);
  });

  it("stops at the token limit and can force EOS there", async () => {
    const loop = { 0: [0, 0, 0, 1, 0], 3: [0, 0.01, 0, 0.99, 0] };
    const open = await generate(bigramStepper(loop, 5), { ...base, maxNewTokens: 4 });
    expect(open.ids).toEqual([BOS, 3, 3, 3]);
    const closed = await generate(bigramStepper(loop, 5), {
      ...base,
      maxNewTokens: 4,
      isEosForcedAtLimit: true,
    });
    expect(closed.ids).toEqual([BOS, 3, 3, EOS]);
  });

  it("ends at any of the stop tokens, greedy and beam", async () => {
    // Token 4 ("b") as a chat model's end-of-turn token: greedy BOS → a → b stops there instead of at EOS.
    const chat = { 0: [0, 0, 0, 1, 0], 3: [0, 0.2, 0, 0.3, 0.5], 4: [0, 0.9, 0, 0.05, 0.05] };
    const greedy = await generate(bigramStepper(chat, 5), { ...base, stopIds: [4] });
    expect(greedy.ids).toEqual([BOS, 3, 4]);
    const beam = await generate(bigramStepper(chat, 5), { ...base, numBeams: 2, stopIds: [4] });
    expect(beam.ids.at(-1)).toBe(4);
    expect(beam.ids).toEqual([BOS, 3, 4]);
  });

  it("never repeats an n-gram when asked not to", async () => {
    const loop = { 0: [0, 0, 0, 1, 0], 3: [0, 0.01, 0, 0.7, 0.29], 4: [0, 0.01, 0, 0.7, 0.29] };
    const result = await generate(bigramStepper(loop, 5), { ...base, maxNewTokens: 8, noRepeatNgramSize: 2 });
    const pairs = result.ids.slice(0, -1).map((id, i) => `${id},${result.ids[i + 1]}`);
    expect(new Set(pairs).size).toBe(pairs.length);
  });
});

describe("generateBatch", () => {
  // Three models over 0 BOS, 1 EOS, 2 START, 3 "a", 4 "b": they finish at different steps and beams disagree.
  const tables = [
    { 0: [0, 0, 0, 0.6, 0.4], 3: [0, 0.45, 0, 0.1, 0.45], 4: [0, 0.9, 0, 0.05, 0.05] },
    { 0: [0, 0, 0, 1, 0], 3: [0, 0.01, 0, 0.7, 0.29], 4: [0, 0.3, 0, 0.4, 0.3] },
    { 0: [0, 0, 0, 0.2, 0.8], 3: [0, 0.5, 0, 0.25, 0.25], 4: [0, 0.05, 0, 0.9, 0.05] },
  ];
  const configs = [
    { ...base, maxNewTokens: 6 },
    { ...base, maxNewTokens: 8, noRepeatNgramSize: 2 },
    { ...base, maxNewTokens: 3, isEosForcedAtLimit: true },
  ];

  for (const numBeams of [1, 3]) {
    it(`gives every sequence the tokens and score it gets alone (${numBeams === 1 ? "greedy" : "beam"})`, async () => {
      const alone = [];
      for (const [s, table] of tables.entries())
        alone.push(await generate(bigramStepper(table, 5), { ...configs[s], numBeams } as GenerationConfig));
      const { stepper, calls } = batchedBigramStepper(tables, 5);
      const batched = await generateBatch(
        stepper,
        configs.map((config) => ({ ...config, numBeams })),
      );
      expect(batched).toEqual(alone);
      // One call per step for the whole batch, and finished sequences leave it.
      expect(calls[0]).toBe(3 * numBeams);
      expect(calls.at(-1)).toBeLessThan(3 * numBeams);
      // Greedy: as many calls as the longest answer has tokens (beams may run past the answer they keep).
      if (numBeams === 1) expect(calls.length).toBe(Math.max(...alone.map((g) => g.ids.length)));
    });
  }

  it("refuses configs that do not match the stepper's sequences or mix beam counts", async () => {
    const { stepper } = batchedBigramStepper(tables, 5);
    await expect(generateBatch(stepper, configs.slice(0, 2))).rejects.toThrow(/3 sequences/);
    await expect(
      generateBatch(stepper, [configs[0], configs[1], { ...base, numBeams: 2 }] as GenerationConfig[]),
    ).rejects.toThrow(/same number of beams/);
  });
});

describe("batchesOf", () => {
  it("groups items of one key in input order and caps the rows of a batch", () => {
    expect(batchesOf([5, 7, 5, 5, 7], (x) => x, 1)).toEqual([
      [0, 2, 3],
      [1, 4],
    ]);
    // 96 rows a call: 40 items of 3 beams → batches of 32.
    const sizes = batchesOf(Array<number>(40).fill(1), (x) => x, 3).map((b) => b.length);
    expect(sizes).toEqual([32, 8]);
  });
});
