import { describe, expect, it } from "vitest";
import { bannedNgramTokens, type GenerationConfig, generate, type Stepper } from "~/lib/engine/generation";

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
    first: async (rows) => logitsAfter(Array(rows).fill(START)),
    next: async (tokens) => logitsAfter(tokens),
  };
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
    expect(result.score).toBeCloseTo(Math.log(0.6) + Math.log(0.45), 5);
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
