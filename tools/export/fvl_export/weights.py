"""Reading checkpoint weights: safetensors (single or sharded with an index) and PyTorch .bin files.

Shards are checked against their own headers before anything is read, so a truncated download is reported as such
(with the file, the bytes its header promises and the bytes on disk) instead of as a decoding error deep inside.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import torch
from safetensors.torch import load_file

from .errors import MissingWeightsError, TruncatedShardError

SAFETENSORS_INDEX = "model.safetensors.index.json"
BIN_INDEX = "pytorch_model.bin.index.json"
SINGLE_FILES = ("model.safetensors", "pytorch_model.bin")


def weight_files(folder: Path) -> list[Path]:
    """The checkpoint's weight files, from its index when it has one; missing shards are an error."""
    for index_name in (SAFETENSORS_INDEX, BIN_INDEX):
        index = folder / index_name
        if index.is_file():
            shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
            missing = [name for name in shards if not (folder / name).is_file()]
            if missing:
                raise MissingWeightsError(
                    f"{index_name} lists {len(shards)} shards but {len(missing)} are missing from {folder}: "
                    f"{', '.join(missing)}. Download the whole checkpoint folder again.")
            return [folder / name for name in shards]
    for name in SINGLE_FILES:
        if (folder / name).is_file():
            return [folder / name]
    raise MissingWeightsError(
        f"{folder} has a config.json but no weights: expected model.safetensors, pytorch_model.bin or a sharded "
        f"{SAFETENSORS_INDEX}. Download the weight files too (e.g. `hf download <repo> --local-dir {folder}`).")


def check_safetensors_shard(path: Path) -> None:
    """Compares the byte range the header declares with the file's size."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise TruncatedShardError(f"{path.name} is {size} bytes: too short for a safetensors header. "
                                      "Download it again.")
        (header_length,) = struct.unpack("<Q", head)
        if 8 + header_length > size:
            raise TruncatedShardError(f"{path.name}: header of {header_length} bytes but the file has {size}. "
                                      "The download was cut off; download it again.")
        header = json.loads(handle.read(header_length))
    end = max((entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"), default=0)
    expected = 8 + header_length + end
    if size < expected:
        raise TruncatedShardError(f"{path.name} is truncated: its header describes {expected} bytes, the file has "
                                  f"{size}. Download it again.")


def tensor_names(path: Path) -> list[str]:
    """Names in one weight file without reading the tensors (safetensors) or by loading it (.bin)."""
    if path.suffix == ".safetensors":
        check_safetensors_shard(path)
        with path.open("rb") as handle:
            (header_length,) = struct.unpack("<Q", handle.read(8))
            return [key for key in json.loads(handle.read(header_length)) if key != "__metadata__"]
    return list(_load_bin(path))


def read_weights(files: list[Path], keep=lambda name: True) -> dict[str, torch.Tensor]:
    """All tensors of the files whose name passes `keep` (others are not kept in memory)."""
    out: dict[str, torch.Tensor] = {}
    for path in files:
        if path.suffix == ".safetensors":
            check_safetensors_shard(path)
            tensors = load_file(str(path))
        else:
            tensors = _load_bin(path)
        out.update({name: tensor for name, tensor in tensors.items() if keep(name)})
        del tensors
    return out


def _load_bin(path: Path) -> dict[str, torch.Tensor]:
    try:
        return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except RuntimeError as error:
        raise TruncatedShardError(f"{path.name} could not be read as a PyTorch checkpoint ({error}); "
                                  "it is probably truncated. Download it again.") from error
