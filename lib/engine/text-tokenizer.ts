import { Tokenizer } from "@huggingface/tokenizers";

// Florence-2's processor decodes with special tokens kept (so `<loc_N>` survive) and then drops only these.
const SEQUENCE_MARKERS = /<\/s>|<s>|<pad>/g;

/**
 * The model's `tokenizer.json` through Hugging Face's own JavaScript tokenizers library (the one transformers.js
 * uses): byte-level BPE, added tokens and post-processors behave as in Python's `tokenizers`.
 */
export class TextTokenizer {
  private readonly tokenizer: Tokenizer;

  constructor(tokenizerJson: object, tokenizerConfig: object = {}) {
    // Florence-2's tokenizer_config sets clean_up_tokenization_spaces false; keep decoding byte-exact by default.
    this.tokenizer = new Tokenizer(tokenizerJson, {
      clean_up_tokenization_spaces: false,
      ...tokenizerConfig,
    });
  }

  /** Token ids; with special tokens the BART post-processor wraps them in `<s> … </s>`. */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: options.addSpecialTokens ?? true }).ids;
  }

  /** Plain text: every special token (including `<loc_N>`) removed. */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return "";
    return this.tokenizer.decode([...ids], { skip_special_tokens: true });
  }

  /** Florence-2 task output: special tokens kept except the sequence markers, so loc tokens can be parsed. */
  decodeTaskOutput(ids: readonly number[]): string {
    if (ids.length === 0) return "";
    return this.tokenizer
      .decode([...ids], { skip_special_tokens: false })
      .replace(SEQUENCE_MARKERS, "")
      .trim();
  }

  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** Every token's string, by id (for token-level highlighting of answers). */
  tokenText(id: number): string {
    return this.tokenizer.decode([id], { skip_special_tokens: false });
  }
}
