"""A read-only view of a checkpoint's tensors that loads one tensor per lookup, over the exporter's own shard
listing and checks (fvl_export.weights), so an 8B checkpoint is never held in memory whole."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from safetensors import safe_open

from ..errors import MissingWeightsError
from ..weights import check_safetensors_shard, tensor_names, weight_files


class ShardedTensors(Mapping):
    def __init__(self, folder: Path):
        self._where: dict[str, Path] = {}
        for path in weight_files(folder):
            if path.suffix != ".safetensors":
                raise MissingWeightsError(
                    f"{path.name}: the language-model export reads safetensors shards (Florence-VL's format); "
                    "convert the .bin files to safetensors first")
            check_safetensors_shard(path)
            self._where.update({name: path for name in tensor_names(path)})

    def __getitem__(self, name: str):
        path = self._where[name]
        with safe_open(str(path), "pt") as handle:
            return handle.get_tensor(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)
