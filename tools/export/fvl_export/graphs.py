"""The exported graphs as torch modules over the native model's own sub-modules (weights are shared, nothing is
re-implemented but the attention plumbing, which must hand out probabilities and a key/value cache).

  VisionGraph    pixel_values -> image_features [B, 577, d] + stage_1..stage_4 [B, C, H, W]
  EmbedGraph     input_ids -> inputs_embeds
  EncoderGraph   inputs_embeds, attention_mask -> last_hidden_state + attentions.{i} [B, heads, S, S]
  DecoderGraph   inputs_embeds, encoder_hidden_states, encoder_attention_mask, use_cache_branch,
                 past_key_values.{i}.{decoder,encoder}.{key,value}
                 -> logits, present.{i}.{decoder,encoder}.{key,value}, cross_attentions.{i} [B, heads, T, S]
  ProjectorGraph fused_features [B, N, 4d] -> visual_tokens [B, N, H]

The decoder is one graph without an If node: use_cache_branch gates the past inputs to length 0 (first step) or
to their full length, and the encoder keys/values are projected only from the encoder rows not already in the
cache (all of them on the first step, none after), so cached steps do not redo the cross-attention projections.
Float inputs are cast to the weights' dtype and outputs back to float32, so fp16 variants keep fp32 I/O.
"""

from __future__ import annotations

import torch
from torch import nn


def _out(tensor: torch.Tensor) -> torch.Tensor:
    # fp32 graphs need no Cast: one to the same type on every attention output is a full copy of each [B, h, S, S]
    # probability tensor on every run, requested or not (ONNX Runtime runs all nodes; 2% of a Florence-2-large
    # encoder pass).
    return tensor if tensor.dtype == torch.float32 else tensor.to(torch.float32)


class VisionGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.tower = model.model.vision_tower
        self.projector = model.model.multi_modal_projector
        self.dtype = self.tower.convs[0].conv.weight.dtype

    def forward(self, pixel_values):
        hidden = pixel_values.to(self.dtype)
        stages = []
        for conv, blocks in zip(self.tower.convs, self.tower.blocks):
            hidden = conv(hidden)
            for block in blocks:
                hidden = block(hidden)
            stages.append(hidden)
        return (_out(self.projector(hidden)), *[_out(stage) for stage in stages])


class EmbedGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.shared = model.model.language_model.shared  # scales by embed_scale itself

    def forward(self, input_ids):
        return _out(self.shared(input_ids))


def _heads(linear: nn.Linear, states: torch.Tensor, heads: int) -> torch.Tensor:
    batch, length, _ = states.shape
    return linear(states).view(batch, length, heads, linear.out_features // heads).transpose(1, 2)


def _attend(attention, queries, keys, values, additive_mask):
    """BART attention with given keys/values [B, h, S, hd]; returns the output and the probabilities."""
    heads = keys.shape[1]
    query = _heads(attention.q_proj, queries, heads)
    scores = torch.matmul(query, keys.transpose(2, 3)) * attention.scaling + additive_mask
    probs = torch.softmax(scores, dim=-1)
    batch, length, width = queries.shape
    mixed = torch.matmul(probs, values).transpose(1, 2).reshape(batch, length, width)
    return attention.out_proj(mixed), probs


def _padding_mask(mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[B, S] of 1/0 -> additive [B, 1, 1, S] (0 kept, dtype min masked), as transformers' eager attention."""
    return (1.0 - mask[:, None, None, :].to(dtype)) * torch.finfo(dtype).min


def _feed_forward(layer, hidden):
    residual = hidden
    hidden = layer.fc2(layer.activation_fn(layer.fc1(hidden)))
    return layer.final_layer_norm(residual + hidden)


class EncoderGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.encoder = model.model.language_model.encoder
        self.dtype = self.encoder.layernorm_embedding.weight.dtype

    def forward(self, inputs_embeds, attention_mask):
        embeds = inputs_embeds.to(self.dtype)
        positions = torch.arange(embeds.shape[1], device=embeds.device) + self.encoder.embed_positions.offset
        hidden = self.encoder.layernorm_embedding(embeds + self.encoder.embed_positions.weight[positions])
        mask = _padding_mask(attention_mask, self.dtype)
        attentions = []
        for layer in self.encoder.layers:
            attention = layer.self_attn
            heads = attention.num_heads
            keys, values = _heads(attention.k_proj, hidden, heads), _heads(attention.v_proj, hidden, heads)
            mixed, probs = _attend(attention, hidden, keys, values, mask)
            hidden = layer.self_attn_layer_norm(hidden + mixed)
            hidden = _feed_forward(layer, hidden)
            attentions.append(probs)
        return (_out(hidden), *[_out(probs) for probs in attentions])


def _gate(past: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """The first `keep` (0 or all) positions of a [B, h, P, hd] cache tensor."""
    return past.index_select(2, torch.arange(keep, device=past.device))


class DecoderGraph(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.decoder = model.model.language_model.decoder
        self.lm_head = model.lm_head
        self.dtype = self.decoder.layernorm_embedding.weight.dtype

    def forward(self, inputs_embeds, encoder_hidden_states, encoder_attention_mask, use_cache_branch, *past):
        embeds = inputs_embeds.to(self.dtype)
        encoder_states = encoder_hidden_states.to(self.dtype)
        use_cache = use_cache_branch.to(torch.int64).reshape(())
        past_length = past[0].shape[2] * use_cache
        steps = embeds.shape[1]
        positions = torch.arange(steps, device=embeds.device) + past_length + self.decoder.embed_positions.offset
        hidden = self.decoder.layernorm_embedding(embeds + self.decoder.embed_positions.weight[positions])
        # Causal mask over [past; new]: query i (absolute position past_length + i) sees keys 0..past_length + i.
        key_positions = torch.arange(past_length + steps, device=embeds.device)
        query_positions = torch.arange(steps, device=embeds.device) + past_length
        causal = (key_positions[None, :] > query_positions[:, None]).to(self.dtype) * torch.finfo(self.dtype).min
        cross_mask = _padding_mask(encoder_attention_mask, self.dtype)
        fresh_rows = torch.arange(encoder_states.shape[1] * (1 - use_cache), device=embeds.device)
        fresh_states = encoder_states.index_select(1, fresh_rows)
        presents, cross_attentions = [], []
        for i, layer in enumerate(self.decoder.layers):
            past_key, past_value, past_cross_key, past_cross_value = (p.to(self.dtype) for p in past[4 * i:4 * i + 4])
            attention = layer.self_attn
            heads = attention.num_heads
            keys = torch.cat([_gate(past_key, past_length), _heads(attention.k_proj, hidden, heads)], dim=2)
            values = torch.cat([_gate(past_value, past_length), _heads(attention.v_proj, hidden, heads)], dim=2)
            mixed, _ = _attend(attention, hidden, keys, values, causal)
            hidden = layer.self_attn_layer_norm(hidden + mixed)
            cross = layer.encoder_attn
            cached = past_cross_key.shape[2] * use_cache
            cross_keys = torch.cat([_gate(past_cross_key, cached), _heads(cross.k_proj, fresh_states, heads)], dim=2)
            cross_values = torch.cat([_gate(past_cross_value, cached), _heads(cross.v_proj, fresh_states, heads)],
                                     dim=2)
            mixed, probs = _attend(cross, hidden, cross_keys, cross_values, cross_mask)
            hidden = layer.encoder_attn_layer_norm(hidden + mixed)
            hidden = _feed_forward(layer, hidden)
            presents += [keys, values, cross_keys, cross_values]
            cross_attentions.append(probs)
        logits = self.lm_head(hidden)
        return (_out(logits), *[_out(p) for p in presents], *[_out(p) for p in cross_attentions])


class ProjectorGraph(nn.Module):
    def __init__(self, projector: nn.Sequential):
        super().__init__()
        self.projector = projector
        self.dtype = projector[0].weight.dtype

    def forward(self, fused_features):
        return _out(self.projector(fused_features.to(self.dtype)))
