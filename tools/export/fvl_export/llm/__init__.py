"""Florence-VL's language model (llava_phi → Phi-3.5-mini, llava_llama → Llama-3.1-8B) as ONNX graphs for Lens.

Interface for the exporter's entry point (fvl_export.__main__ calls this once it has detected a Florence-VL
checkpoint and written the vision side):

    export_language_model(
        checkpoint_dir: Path,   # the Florence-VL checkpoint folder: config.json, tokenizer.json,
                                # tokenizer_config.json (chat tokens, add_bos_token), *.safetensors shards
        out_dir: Path,          # the Lens model folder being written; graphs go to out_dir / "onnx"
        dtype: str,             # "fp32" | "fp16": weights of the main decoder graph (I/O stays float32)
        weights,                # read-only mapping checkpoint tensor name -> torch.Tensor, loading one tensor
                                # per __getitem__ (the exporter's sharded safetensors reader); only the llava
                                # language-model keys are read: model.embed_tokens.weight, model.layers.{i}.*,
                                # model.norm.weight, lm_head.weight (each read once, written, then dropped)
        config: dict,           # the checkpoint's parsed config.json (model_type llava_phi | llava_llama)
    ) -> dict

It writes into out_dir:
    onnx/llm_embed_tokens.onnx   input_ids int64 [B, T] -> inputs_embeds float32 [B, T, H]
    onnx/llm_decoder.onnx        inputs_embeds float32 [B, T, H], attention_mask int64 [B, P+T],
                                 past_key_values.{i}.key/value float32 [B, kv_heads, P, head_dim]
                                 -> logits [B, T, vocab], last_hidden_state [B, T, H] (after the final norm),
                                    present.{i}.key/value [B, kv_heads, P+T, head_dim],
                                    attentions.{i} [B, heads, 1, P+T] (the last query's attention probabilities)
    onnx/llm_decoder_fp16.onnx, onnx/llm_decoder_int8.onnx, onnx/llm_decoder_int4.onnx
                                 (+ onnx/llm_embed_tokens_fp16.onnx; int8 / int4 are MatMulNBits, block 32)
                                 weight variants with onnx-community's suffixes, each measured against transformers' fp32 model;
                                 the graphs of `dtype` are fvl.json's llm.decoder / llm.embed
    with_attention=False leaves out the attentions.{i} outputs (the engine then answers without attention maps)
    llm_tokenizer.json, llm_tokenizer_config.json   copies of the checkpoint's tokenizer files
    any graph over 2 GB (external_data_bytes) keeps its weights as ONNX external data next to it
    (<graph>.onnx_data, page-aligned; constants under 1 KB stay in the graph for shape inference)

and returns the fvl.json fragments to merge at the top level of the manifest:
    {
      "llm": {...},               # graphs, sizes, tokenizer file, rope, variants with bytes and quality change
      "chat_template": str,       # Florence-VL's conversation template with {question} and the image placeholder
      "chat": {...},              # image placeholder, how prompt chunks are tokenized, stop tokens, defaults
      "attention_outputs": {...}, # entries for the LLM graphs, keyed by graph path
      "files": [str, ...],        # paths written (relative to out_dir) for the manifest's checksums
    }

`testing.py` builds the random shrunk checkpoints (llava key names and config fields) the tests export.
"""

from .export import export_language_model
from .shards import ShardedTensors

__all__ = ["ShardedTensors", "export_language_model"]
