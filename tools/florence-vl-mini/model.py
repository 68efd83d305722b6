"""Florence-VL-mini: a small Florence-VL (Florence-2 vision + BART-style encoder-decoder, DBFusion, small LM).

Mirrors the structure of Florence-VL at toy scale:
  * DaViT-like tower, 4 stages (grids 48/24/12/12 at 192 px): a two-convolution stem, residual conv blocks
    in stages 1-2, DaViT's spatial-window + channel-group attention blocks in stages 3-4, and a linear
    pixel-patch shortcut into the last stage (colour).
  * Florence-2 `_encode_image`: stage-4 grid + learned 2-D position embedding, token 0 = spatial mean,
    then image projection + LayerNorm -> V [B, 145, d].
  * BART-style encoder-decoder (learned positions, layernorm_embedding, tied output embedding;
    pre-LN blocks for short-schedule stability). Encoder input = [V; embed(prompt)].
  * DBFusion: channel concat [V; V'caption; V'ocr; V'region] -> mlp3x_gelu projector -> decoder-only LM.

All attention is written out explicitly so that probabilities can be returned and exported to ONNX.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

NEG = -1e9  # additive mask value (finite so that fully-masked rows stay NaN-free)


@dataclass
class FVLConfig:
    image_size: int = 192
    stem_stride: int = 4  # two 3x3 stride-2 convolutions
    stem_hidden: int = 24
    vision_dims: tuple = (32, 64, 128, 128)
    vision_depths: tuple = (2, 2, 1, 1)  # residual conv blocks in stages 1-2, DaViT "pairs" in stages 3-4
    vision_heads: tuple = (0, 0, 4, 4)
    vision_windows: tuple = (0, 0, 6, 12)
    vision_strides: tuple = (1, 2, 2, 1)  # downsample before stage i (stage 1 = stem)
    d_model: int = 128
    enc_layers: int = 3
    dec_layers: int = 2
    heads: int = 4
    ffn: int = 256
    max_positions: int = 320
    vocab_size: int = 2048
    loc_offset: int = -1  # id of <loc_0> (set from tokenizer)
    # language model (stage 2)
    llm_hidden: int = 128
    llm_layers: int = 3
    llm_heads: int = 4
    llm_ffn: int = 512
    llm_max_positions: int = 512
    fusion_sources: tuple = ("V", "caption", "ocr", "region")

    @property
    def grids(self):
        g = self.image_size // self.stem_stride
        out = []
        for s in self.vision_strides:
            g //= s
            out.append(g)
        return tuple(out)

    @property
    def n_image_tokens(self):
        g = self.grids[-1]
        return 1 + g * g

    def to_dict(self):
        d = asdict(self)
        d["grids"] = list(self.grids)
        d["n_image_tokens"] = self.n_image_tokens
        return d


# ----------------------------------------------------------------------------- building blocks


def layer_norm_2d(ln: nn.LayerNorm, x):  # x [B, C, H, W]
    return ln(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class ConvStem(nn.Module):
    """Patch embedding at stride 4: conv3x3/2 - GELU - conv3x3/2 (DaViT follows it with a LayerNorm)."""

    def __init__(self, hidden, dim):
        super().__init__()
        self.conv1 = nn.Conv2d(3, hidden, 3, stride=2, padding=1)
        self.conv2 = nn.Conv2d(hidden, dim, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv2(F.gelu(self.conv1(x)))


class ResBlock(nn.Module):
    """Stages 1-2: residual block conv3x3 - GELU - conv3x3 (edges, corners and strokes at high resolution)."""

    def __init__(self, dim):
        super().__init__()
        self.conv1 = nn.Conv2d(dim, dim, 3, padding=1)
        self.conv2 = nn.Conv2d(dim, dim, 3, padding=1)

    def forward(self, x):  # [B, C, H, W]
        return x + self.conv2(F.gelu(self.conv1(x)))


class WindowAttention(nn.Module):
    def __init__(self, dim, heads, window):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):  # x [B, H, W, C] (H, W static)
        _, H, W, C = x.shape
        w = self.window
        nh, nw = H // w, W // w
        x = x.reshape(-1, nh, w, nw, w, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, w * w, C)
        qkv = self.qkv(x).reshape(-1, w * w, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = torch.softmax((q @ k.transpose(-2, -1)) * (C // self.heads) ** -0.5, dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(-1, w * w, C)
        x = self.proj(x)
        x = x.reshape(-1, nh, nw, w, w, C).permute(0, 1, 3, 2, 4, 5).reshape(-1, H, W, C)
        return x


class ChannelAttention(nn.Module):
    """DaViT channel-group attention: tokens are channels, attention over [c x c] per group."""

    def __init__(self, dim, groups):
        super().__init__()
        self.groups = groups
        self.qkv = nn.Linear(dim, dim * 3)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):  # x [B, N, C]
        _, N, C = x.shape
        qkv = self.qkv(x).reshape(-1, N, 3, self.groups, C // self.groups).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [B, G, N, c]
        q = q * N ** -0.5
        attn = torch.softmax(q.transpose(-1, -2) @ k, dim=-1)  # [B, G, c, c]
        x = (attn @ v.transpose(-1, -2)).transpose(-1, -2)  # [B, G, N, c]
        x = x.transpose(1, 2).reshape(-1, N, C)
        return self.proj(x)


class DaViTBlock(nn.Module):
    """Spatial (window) block followed by channel block, each with ConvPosEnc, attention and FFN."""

    def __init__(self, dim, heads, window, mlp_ratio=2):
        super().__init__()
        self.cpe = nn.ModuleList([nn.Conv2d(dim, dim, 3, padding=1, groups=dim) for _ in range(4)])
        self.n1, self.n2, self.n3, self.n4 = (nn.LayerNorm(dim) for _ in range(4))
        self.wattn = WindowAttention(dim, heads, window)
        self.cattn = ChannelAttention(dim, heads)
        self.mlp1 = Mlp(dim, dim * mlp_ratio)
        self.mlp2 = Mlp(dim, dim * mlp_ratio)

    def forward(self, x):  # [B, C, H, W]
        _, C, H, W = x.shape
        x = x + self.cpe[0](x)
        y = x.permute(0, 2, 3, 1)
        y = y + self.wattn(self.n1(y))
        x = y.permute(0, 3, 1, 2)
        x = x + self.cpe[1](x)
        y = x.permute(0, 2, 3, 1)
        y = y + self.mlp1(self.n2(y))
        x = y.permute(0, 3, 1, 2)
        x = x + self.cpe[2](x)
        y = x.flatten(2).transpose(1, 2)  # [B, N, C]
        y = y + self.cattn(self.n3(y))
        x = y.transpose(1, 2).reshape(-1, C, H, W)
        x = x + self.cpe[3](x)
        y = x.permute(0, 2, 3, 1)
        y = y + self.mlp2(self.n4(y))
        return y.permute(0, 3, 1, 2)


class DaViT(nn.Module):
    def __init__(self, cfg: FVLConfig):
        super().__init__()
        dims = cfg.vision_dims
        assert cfg.stem_stride == 4, "the stem is two stride-2 convolutions"
        self.stem = ConvStem(cfg.stem_hidden, dims[0])
        self.stem_norm = nn.LayerNorm(dims[0])
        self.down_norms = nn.ModuleList()
        self.downs = nn.ModuleList()
        self.stages = nn.ModuleList()
        for i in range(4):
            if i > 0:
                s = cfg.vision_strides[i]
                self.down_norms.append(nn.LayerNorm(dims[i - 1]))
                k = 2 if s == 2 else 1
                self.downs.append(nn.Conv2d(dims[i - 1], dims[i], k, stride=s, padding=0))
            blocks = []
            for _ in range(cfg.vision_depths[i]):
                if cfg.vision_heads[i] == 0:
                    blocks.append(ResBlock(dims[i]))
                else:
                    blocks.append(DaViTBlock(dims[i], cfg.vision_heads[i], cfg.vision_windows[i]))
            self.stages.append(nn.Sequential(*blocks))
        self.norm = nn.LayerNorm(dims[-1])  # DaViT's final norm (Florence-2 `norms`)
        # Pixel shortcut: a linear patch embedding of the input at the last grid, added before the final norm.
        # Without it the conv stages trade colour away for edges early in training and the decoder ends up
        # naming one colour for every object; with it colour reaches V directly.
        patch = cfg.image_size // cfg.grids[-1]
        self.pixel_patch = nn.Conv2d(3, dims[-1], patch, stride=patch)

    def forward(self, pixel_values):
        x = layer_norm_2d(self.stem_norm, self.stem(pixel_values))
        outs = []
        for i in range(4):
            if i > 0:
                x = self.downs[i - 1](layer_norm_2d(self.down_norms[i - 1], x))
            x = self.stages[i](x)
            outs.append(x)
        outs[-1] = layer_norm_2d(self.norm, x + self.pixel_patch(pixel_values))
        return outs  # 4 x [B, C_i, H_i, W_i] (stage 4 after the final norm)


class VisionEncoder(nn.Module):
    """pixel_values -> image_features V [B, 1+g*g, d] (+ per-stage grids). Florence-2 `_encode_image`."""

    def __init__(self, cfg: FVLConfig):
        super().__init__()
        self.cfg = cfg
        self.davit = DaViT(cfg)
        c4 = cfg.vision_dims[-1]
        g = cfg.grids[-1]
        # Florence-2's LearnedAbsolutePositionEmbedding2D: nn.Embedding rows/cols (unit-variance init)
        self.row_embed = nn.Parameter(torch.randn(g, c4 // 2))
        self.col_embed = nn.Parameter(torch.randn(g, c4 - c4 // 2))
        self.temporal_embed = nn.Parameter(torch.zeros(c4))
        self.image_projection = nn.Parameter(torch.randn(c4, cfg.d_model) * c4 ** -0.5)
        self.image_proj_norm = nn.LayerNorm(cfg.d_model)

    def forward(self, pixel_values):
        stages = self.davit(pixel_values)
        x = stages[-1]
        C, g = x.shape[1], self.cfg.grids[-1]
        x = x.flatten(2).transpose(1, 2)  # [B, g*g, C] row-major
        pos = torch.cat(
            [self.row_embed[:, None, :].expand(g, g, -1), self.col_embed[None, :, :].expand(g, g, -1)], dim=-1
        ).reshape(g * g, C)
        x = x + pos + self.temporal_embed
        x = torch.cat([x.mean(dim=1, keepdim=True), x], dim=1)
        x = self.image_proj_norm(x @ self.image_projection)
        return x, stages


class MHA(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads, self.hd = heads, dim // heads
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)

    def split(self, x):  # [B, T, D] -> [B, h, T, hd]
        return x.reshape(x.shape[0], -1, self.heads, self.hd).transpose(1, 2)

    def kv(self, x):
        return self.split(self.k(x)), self.split(self.v(x))

    def attend(self, x, k, v, mask):
        """x [B,T,D] queries; k, v [B,h,S,hd], or tuples of parts along S attended as their concatenation without
        building it (the exported decoder's cached and fresh encoder keys/values); mask additive broadcastable to
        [B,h,T,S]."""
        ks, vs = (k, v) if isinstance(k, tuple) else ((k,), (v,))
        q = self.split(self.q(x)) * self.hd ** -0.5
        scores = [q @ part.transpose(-2, -1) for part in ks]
        scores = scores[0] if len(scores) == 1 else torch.cat(scores, dim=-1)
        if mask is not None:
            scores = scores + mask
        probs = torch.softmax(scores, dim=-1)
        out, start = None, 0
        for part in vs:
            n = part.shape[2]
            term = probs @ part if len(vs) == 1 else probs[..., start:start + n] @ part
            out, start = (term if out is None else out + term), start + n
        out = out.transpose(1, 2).reshape(x.shape[0], -1, self.heads * self.hd)
        return self.o(out), probs


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = MHA(d, heads)
        self.mlp = Mlp(d, ffn)

    def forward(self, x, mask):
        h = self.n1(x)
        k, v = self.attn.kv(h)
        a, probs = self.attn.attend(h, k, v, mask)
        x = x + a
        x = x + self.mlp(self.n2(x))
        return x, probs


class DecoderLayer(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_attn = MHA(d, heads)
        self.cross_attn = MHA(d, heads)
        self.mlp = Mlp(d, ffn)


def key_mask_to_additive(mask):  # [B, S] (1 keep / 0 pad) -> [B, 1, 1, S]
    return (1.0 - mask.to(torch.float32))[:, None, None, :] * NEG


class Florence2(nn.Module):
    """Florence-2-style model: vision encoder + token embedding + encoder + decoder (tied head)."""

    def __init__(self, cfg: FVLConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.d_model
        self.vision = VisionEncoder(cfg)
        self.embed_tokens = nn.Embedding(cfg.vocab_size, d)
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        if cfg.loc_offset >= 0:
            with torch.no_grad():
                self.embed_tokens.weight[cfg.loc_offset : cfg.loc_offset + 1000] = smooth_loc_embeddings(d)
        self.enc_pos = nn.Embedding(cfg.max_positions, d)
        self.dec_pos = nn.Embedding(cfg.max_positions, d)
        nn.init.normal_(self.enc_pos.weight, std=0.02)
        nn.init.normal_(self.dec_pos.weight, std=0.02)
        self.enc_ln_emb, self.dec_ln_emb = nn.LayerNorm(d), nn.LayerNorm(d)
        self.enc_layers = nn.ModuleList([EncoderLayer(d, cfg.heads, cfg.ffn) for _ in range(cfg.enc_layers)])
        self.dec_layers = nn.ModuleList([DecoderLayer(d, cfg.heads, cfg.ffn) for _ in range(cfg.dec_layers)])
        self.enc_ln, self.dec_ln = nn.LayerNorm(d), nn.LayerNorm(d)

    # --- encoder
    def encode(self, inputs_embeds, attention_mask):
        S = inputs_embeds.shape[1]
        x = self.enc_ln_emb(inputs_embeds + self.enc_pos.weight[:S])
        mask = key_mask_to_additive(attention_mask)
        attns = []
        for layer in self.enc_layers:
            x, p = layer(x, mask)
            attns.append(p)
        return self.enc_ln(x), attns

    # --- decoder (with optional cache). past: list of (dk, dv, ek, ev) or None
    def decode(self, inputs_embeds, enc_hidden, enc_mask, past=None, past_len=None):
        B, T, _ = inputs_embeds.shape
        P = 0 if past is None else past[0][0].shape[2]
        if past_len is None:
            past_len = P
        pos = self.dec_pos(torch.arange(T, device=inputs_embeds.device) + past_len)
        x = self.dec_ln_emb(inputs_embeds + pos)
        # causal mask over [past; new]
        i = torch.arange(T, device=x.device)[:, None] + past_len
        j = torch.arange(P + T, device=x.device)[None, :]
        causal = (j > i).to(torch.float32) * NEG  # [T, P+T]
        cmask = key_mask_to_additive(enc_mask)
        presents, cross = [], []
        for li, layer in enumerate(self.dec_layers):
            h = layer.n1(x)
            k, v = layer.self_attn.kv(h)
            if past is not None:
                k = torch.cat([past[li][0], k], dim=2)
                v = torch.cat([past[li][1], v], dim=2)
            a, _ = layer.self_attn.attend(h, k, v, causal)
            x = x + a
            h = layer.n2(x)
            if past is not None and past[li][2] is not None:
                ek, ev = past[li][2], past[li][3]
            else:
                ek, ev = layer.cross_attn.kv(enc_hidden)
            a, probs = layer.cross_attn.attend(h, ek, ev, cmask)
            x = x + a
            x = x + layer.mlp(layer.n3(x))
            presents.append((k, v, ek, ev))
            cross.append(probs)
        x = self.dec_ln(x)
        logits = x @ self.embed_tokens.weight.t()
        return logits, presents, cross, x

    def encoder_inputs(self, image_features, prompt_ids):
        """[V; embed(prompt)] and a mask of ones. prompt_ids [B, L]."""
        e = self.embed_tokens(prompt_ids)
        x = torch.cat([image_features, e], dim=1)
        mask = torch.ones(x.shape[:2], dtype=torch.long, device=x.device)
        return x, mask


def smooth_loc_embeddings(d, n=1000, nfreq=24, seed=1234):
    """Smooth init for <loc_N>: random projection of Fourier features of N/1000 (neighbours are similar)."""
    g = torch.Generator().manual_seed(seed)
    t = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    freqs = torch.arange(1, nfreq + 1, dtype=torch.float64) * math.pi
    feats = torch.cat([torch.sin(t[:, None] * freqs), torch.cos(t[:, None] * freqs)], dim=1).float()
    W = torch.randn(2 * nfreq, d, generator=g) / math.sqrt(2 * nfreq)
    e = feats @ W
    return e / e.std() * 0.02 * 3


# ----------------------------------------------------------------------------- stage 2


class Projector(nn.Module):
    """mlp3x_gelu: Linear(in->H) GELU Linear(H->H) GELU Linear(H->H)."""

    def __init__(self, d_in, H):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(d_in, H), nn.Linear(H, H), nn.Linear(H, H)

    def forward(self, x):
        return self.l3(F.gelu(self.l2(F.gelu(self.l1(x)))))


class LMLayer(nn.Module):
    def __init__(self, H, heads, ffn):
        super().__init__()
        self.n1, self.n2 = nn.LayerNorm(H), nn.LayerNorm(H)
        self.attn = MHA(H, heads)
        self.mlp = Mlp(H, ffn)


class TinyLM(nn.Module):
    """Decoder-only LM (pre-LN, learned positions, tied head)."""

    def __init__(self, cfg: FVLConfig):
        super().__init__()
        H = cfg.llm_hidden
        self.embed_tokens = nn.Embedding(cfg.vocab_size, H)
        nn.init.normal_(self.embed_tokens.weight, std=0.02)
        self.pos = nn.Embedding(cfg.llm_max_positions, H)
        nn.init.normal_(self.pos.weight, std=0.02)
        self.layers = nn.ModuleList([LMLayer(H, cfg.llm_heads, cfg.llm_ffn) for _ in range(cfg.llm_layers)])
        self.norm = nn.LayerNorm(H)

    def forward(self, inputs_embeds, mask4d, position_ids, past=None, want_attn=False):
        """mask4d additive [B|1, 1, T, P+T]; position_ids [B|1, T]. Returns logits-free hidden, presents, attns."""
        x = inputs_embeds + self.pos(position_ids)
        presents, attns = [], []
        for li, layer in enumerate(self.layers):
            h = layer.n1(x)
            k, v = layer.attn.kv(h)
            if past is not None:
                k = torch.cat([past[li][0], k], dim=2)
                v = torch.cat([past[li][1], v], dim=2)
            a, p = layer.attn.attend(h, k, v, mask4d)
            x = x + a
            x = x + layer.mlp(layer.n2(x))
            presents.append((k, v))
            attns.append(p)
        x = self.norm(x)
        return x, presents, attns

    def logits(self, hidden):
        return hidden @ self.embed_tokens.weight.t()

    def run(self, inputs_embeds, attention_mask, past=None):
        """HF-like call: attention_mask [B, P+T] key mask; positions continue after the past."""
        B, T, _ = inputs_embeds.shape
        P = 0 if past is None else past[0][0].shape[2]
        position_ids = (torch.arange(T, device=inputs_embeds.device) + P)[None, :]
        i = torch.arange(T, device=inputs_embeds.device)[:, None] + P
        j = torch.arange(P + T, device=inputs_embeds.device)[None, :]
        mask = (j > i).to(torch.float32)[None, None] * NEG + key_mask_to_additive(attention_mask)
        hidden, presents, attns = self.forward(inputs_embeds, mask, position_ids, past)
        return self.logits(hidden), hidden, presents, attns


class FlorenceVL(nn.Module):
    """Stage-2 model: projector over fused features + TinyLM."""

    def __init__(self, cfg: FVLConfig, n_sources: int):
        super().__init__()
        self.cfg = cfg
        self.projector = Projector(cfg.d_model * n_sources, cfg.llm_hidden)
        self.lm = TinyLM(cfg)


def count_params(m):
    return sum(p.numel() for p in m.parameters())
