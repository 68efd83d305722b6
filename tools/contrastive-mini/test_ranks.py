"""Two data-parallel ranks that gather each other's embeddings train exactly like one process on the whole batch."""

import os
import socket
import tempfile
import unittest
from pathlib import Path

import torch
import torch.multiprocessing as mp

import train as T


class RanksTest(unittest.TestCase):
    def test_two_ranks_match_one_process(self) -> None:
        P = {**T.PRESETS["smoke"], "steps": 2, "stop": 2}
        with tempfile.TemporaryDirectory() as tmp:
            one, two = Path(tmp, "one"), Path(tmp, "two")
            one.mkdir()
            two.mkdir()
            T.train_rank(0, 1, one, P, {"world": 1})
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(probe.getsockname()[1])
            mp.spawn(T.train_rank, args=(2, two, P, {"world": 2}), nprocs=2, join=True)
            a, b = torch.load(one / "model.pt")["model"], torch.load(two / "model.pt")["model"]
            init = T.ClipMini(T.make_config(T.Tokenizer.load(T.TOKENIZER))).state_dict()
        self.assertGreater(max(float((a[k] - init[k]).abs().max()) for k in a), 1e-4)  # the steps moved the weights
        self.assertLess(max(float((a[k] - b[k]).abs().max()) for k in a), 1e-5)


if __name__ == "__main__":
    unittest.main()
