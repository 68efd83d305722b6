"""Stage 2's packed batch (prefix once, turns on its keys and values) against one full sequence per turn."""

import random
import unittest

import torch
import torch.nn.functional as F

import pipeline
import scenes as S
import tokenizer as T
from model import FlorenceVL, FVLConfig


class Stage2BatchTest(unittest.TestCase):
    def test_packed_turns_equal_separate_sequences(self) -> None:
        tok = T.train_bpe(S.corpus_texts(300), 2048)
        cfg = FVLConfig(vocab_size=tok.vocab_size, loc_offset=tok.token_to_id("<loc_0>"), llm_layers=2)
        torch.manual_seed(0)
        vl = FlorenceVL(cfg, 2).eval()
        chat = pipeline.Chat(tok, cfg.n_image_tokens)
        scenes = S.dataset("train", 3)
        turns = [pipeline.training_turns(s, random.Random(i)) for i, s in enumerate(scenes)]
        fused = torch.randn(len(scenes), cfg.n_image_tokens, 2 * cfg.d_model)

        with torch.no_grad():
            prefix_ids, groups = pipeline.build_batch(chat, turns, torch.device("cpu"))
            logits, labels, weights = pipeline.turn_logits(vl, fused, prefix_ids, groups, chat)
            packed_ce = F.cross_entropy(logits, labels, reduction="none")
            packed_loss = float((packed_ce * weights).sum() / weights.sum())

            ref_ce, ref_turn_losses = [], []
            for b, image_turns in enumerate(turns):
                for question, answer in image_turns:
                    prompt = chat.prompt(question)
                    answer_ids = tok.encode(answer, add_special_tokens=False) + [chat.end_id]
                    ids = torch.tensor([prompt + answer_ids])
                    ids = torch.cat([ids[:, :chat.image_index], torch.full((1, cfg.n_image_tokens), 0),
                                     ids[:, chat.image_index + 1:]], dim=1)
                    x = pipeline.lm_inputs(vl, fused[b:b + 1], ids, chat, cfg.n_image_tokens)
                    out, *_ = vl.lm.run(x, torch.ones(x.shape[:2], dtype=torch.long))
                    n = len(answer_ids)
                    ce = F.cross_entropy(out[0, -n - 1:-1], torch.tensor(answer_ids), reduction="none")
                    ref_ce += ce.tolist()
                    ref_turn_losses.append(float(ce.mean()))

        self.assertEqual(len(packed_ce), len(ref_ce))
        self.assertLess(float((packed_ce.sort().values - torch.tensor(ref_ce).sort().values).abs().max()), 1e-4)
        self.assertAlmostEqual(packed_loss, sum(ref_turn_losses) / len(ref_turn_losses), places=4)
        self.assertGreater(len(groups), 1)  # the caption is padded apart from the short answers


if __name__ == "__main__":
    unittest.main()
