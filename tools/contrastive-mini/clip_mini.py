"""Contrastive miniature: Florence-VL-mini's vision tower trained CLIP-style against a small text transformer.

The image side is the mini's `VisionEncoder` itself (same class, same FVLConfig vision settings): the DaViT-like
tower, the 2-D position embedding, the spatial-mean token first, the image projection and its LayerNorm, so that
`last_hidden_state` is [B, 145, 128] exactly like Florence-VL-mini's V. CLIP's pieces on top of it:
  * pooler_output = token 0 of the tower's output (the pooled token, already LayerNormed, like CLIP's
    post_layernorm(class token)); it is the embedding *before* the contrastive projection, as in CLIP;
  * image_embeds = visual_projection(pooler_output) (linear, no bias), L2-normalised for the loss;
  * the text encoder: token + learned position embedding, pre-LN transformer layers (the mini's EncoderLayer) with a
    key-padding mask, a final LayerNorm, pooled at the `</s>` token (CLIP pools at its end-of-text token), then
    text_projection (linear, no bias);
  * a learned temperature logit_scale (CLIP's init ln(1/0.07), clamped at ln 100).
The loss is CLIP's symmetric InfoNCE over the batch.
"""

from __future__ import annotations

import math
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MINI_TOOLS = HERE.parent / "florence-vl-mini"
if str(MINI_TOOLS) not in sys.path:
    sys.path.append(str(MINI_TOOLS))  # after this folder: train.py here is not the mini's train.py

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from model import EncoderLayer, FVLConfig, VisionEncoder, key_mask_to_additive  # noqa: E402
from tokenizer import EOS_ID, PAD_ID  # noqa: E402

# The tokenizer of Florence-VL-mini (committed with it): both models read the captions in the same ids.
TOKENIZER = HERE.parent.parent / "models" / "florence-vl-mini" / "tokenizer.json"
LOGIT_SCALE_MAX = math.log(100.0)


@dataclass
class TextConfig:
    vocab_size: int
    hidden: int = 128
    layers: int = 2
    heads: int = 4
    ffn: int = 256
    max_positions: int = 64


@dataclass
class ClipMiniConfig:
    text: TextConfig
    projection_dim: int = 128

    def to_dict(self) -> dict:
        return {"vision": vision_config().to_dict(), "text": asdict(self.text), "projection_dim": self.projection_dim}


def vision_config() -> FVLConfig:
    """Florence-VL-mini's vision settings (FVLConfig's defaults, which its training keeps): 192 px, dims
    [32, 64, 128, 128], grids [48, 24, 12, 12], d_model 128."""
    return FVLConfig()


class TextEncoder(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden)
        self.pos = nn.Embedding(cfg.max_positions, cfg.hidden)
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.layers = nn.ModuleList([EncoderLayer(cfg.hidden, cfg.heads, cfg.ffn) for _ in range(cfg.layers)])
        self.norm = nn.LayerNorm(cfg.hidden)

    def forward(self, input_ids):  # [B, L] padded with PAD_ID, each row ends with </s>
        keep = input_ids != PAD_ID
        x = self.embed_tokens(input_ids) + self.pos.weight[: input_ids.shape[1]]
        mask = key_mask_to_additive(keep)
        for layer in self.layers:
            x, _ = layer(x, mask)
        x = self.norm(x)
        eos = (input_ids == EOS_ID).to(torch.long).argmax(dim=1)  # the first </s> of each row
        return x[torch.arange(x.shape[0], device=x.device), eos]


class ClipMini(nn.Module):
    def __init__(self, cfg: ClipMiniConfig):
        super().__init__()
        self.cfg = cfg
        vcfg = vision_config()
        self.vision = VisionEncoder(vcfg)
        self.text = TextEncoder(cfg.text)
        self.visual_projection = nn.Linear(vcfg.d_model, cfg.projection_dim, bias=False)
        self.text_projection = nn.Linear(cfg.text.hidden, cfg.projection_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def vision_outputs(self, pixel_values):
        """CLIP vision model outputs: last_hidden_state [B, 145, 128] (pooled token first) and pooler_output."""
        V, _ = self.vision(pixel_values)
        return V, V[:, 0]

    def image_embeds(self, pixel_values):
        return F.normalize(self.visual_projection(self.vision_outputs(pixel_values)[1]), dim=-1)

    def text_embeds(self, input_ids):
        return F.normalize(self.text_projection(self.text(input_ids)), dim=-1)

    def forward(self, pixel_values, input_ids):
        """Both L2-normalised embeddings (one call, so that DistributedDataParallel sees it)."""
        return self.image_embeds(pixel_values), self.text_embeds(input_ids)


def contrastive_loss(image_embeds, text_embeds, logit_scale):
    """Symmetric InfoNCE (CLIP): cross-entropy of image->text and text->image logits against the diagonal."""
    logits = logit_scale.clamp(max=LOGIT_SCALE_MAX).exp() * image_embeds @ text_embeds.t()
    target = torch.arange(logits.shape[0], device=logits.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))


class VisionModelGraph(nn.Module):
    """The exported graph: pixel_values -> (last_hidden_state, pooler_output), CLIPVisionModel's outputs."""

    def __init__(self, model: ClipMini):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model.vision_outputs(pixel_values)


def caption_ids(tok, captions: list[str], max_len: int) -> torch.Tensor:
    """<s> caption </s>, padded with <pad>; a caption longer than max_len is cut and still ends with </s>."""
    rows = []
    for c in captions:
        ids = tok.encode(c)
        if len(ids) > max_len:
            ids = ids[: max_len - 1] + [EOS_ID]
        rows.append(ids)
    n = max(len(r) for r in rows)
    return torch.tensor([r + [PAD_ID] * (n - len(r)) for r in rows], dtype=torch.long)
