"""Block-wise symmetric 8- and 4-bit weights in the layout of ONNX Runtime's MatMulNBits (com.microsoft)."""

from __future__ import annotations

import numpy as np


def zero_point(bits: int) -> int:
    """MatMulNBits' implicit zero point when no zero_points input is given: 128 for 8 bits, 8 for 4 bits."""
    return 1 << (bits - 1)


def quantize_blockwise(weight: np.ndarray, block: int, bits: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """A torch Linear weight [N, K] -> (uint8 [N, K/block, block * bits / 8], float32 scales [N * K/block]).

    Each block of `block` input channels of one output row shares a scale max|w| / (2^(bits-1) - 1), so the
    dequantized weight (q - zero_point) * scale is within scale / 2 of the original. 4-bit values are packed two
    to a byte, the lower-indexed one in the low nibble (MatMulNBits' order).
    """
    if bits not in (4, 8):
        raise ValueError(f"{bits}-bit weights: MatMulNBits blocks here are 4 or 8 bits")
    n, k = weight.shape
    blocks = -(-k // block)
    padded = np.zeros((n, blocks * block), dtype=np.float32)
    padded[:, :k] = weight
    grouped = padded.reshape(n, blocks, block)
    top = zero_point(bits) - 1
    scales = np.abs(grouped).max(axis=2) / top
    scales[scales == 0] = 1.0
    quantized = np.clip(np.rint(grouped / scales[:, :, None]) + zero_point(bits), 0, 2 * top + 1).astype(np.uint8)
    if bits == 4:
        quantized = quantized[:, :, 0::2] | (quantized[:, :, 1::2] << 4)
    return quantized, scales.astype(np.float32).reshape(-1)


def dequantize_blockwise(packed: np.ndarray, scales: np.ndarray, k: int, bits: int = 8) -> np.ndarray:
    """The weight [N, K] that MatMulNBits multiplies with: the inverse of quantize_blockwise up to rounding."""
    n, blocks, _ = packed.shape
    values = packed.astype(np.int16)
    if bits == 4:
        values = np.stack([values & 0x0F, values >> 4], axis=-1).reshape(n, blocks, -1)
    weight = (values - zero_point(bits)) * scales.reshape(n, blocks)[:, :, None]
    return weight.reshape(n, -1)[:, :k].astype(np.float32)
