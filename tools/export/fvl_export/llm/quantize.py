"""Block-wise symmetric 8-bit weights in the layout of ONNX Runtime's MatMulNBits (com.microsoft)."""

from __future__ import annotations

import numpy as np

# MatMulNBits' implicit zero point for 8-bit weights when no zero_points input is given.
ZERO_POINT = 128


def quantize_blockwise(weight: np.ndarray, block: int) -> tuple[np.ndarray, np.ndarray]:
    """A torch Linear weight [N, K] -> (uint8 [N, K/block, block], float32 scales [N * K/block]).

    Each block of `block` input channels of one output row shares a scale max|w| / 127, so the dequantized weight
    (q - 128) * scale is within scale / 2 of the original.
    """
    n, k = weight.shape
    blocks = -(-k // block)
    padded = np.zeros((n, blocks * block), dtype=np.float32)
    padded[:, :k] = weight
    grouped = padded.reshape(n, blocks, block)
    scales = np.abs(grouped).max(axis=2) / 127.0
    scales[scales == 0] = 1.0
    quantized = np.clip(np.rint(grouped / scales[:, :, None]) + ZERO_POINT, 0, 255).astype(np.uint8)
    return quantized, scales.astype(np.float32).reshape(-1)
