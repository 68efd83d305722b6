"""Checks of the duplicate-aware retrieval recall."""

import unittest

import numpy as np

from retrieval import recall


class RecallTest(unittest.TestCase):
    def test_matching_embeddings_score_one(self) -> None:
        emb = np.eye(4, dtype=np.float32)
        r = recall(emb, emb, ["a", "b", "c", "d"])
        self.assertEqual(r["image_to_caption_r@1"], 1.0)
        self.assertEqual(r["caption_to_image_r@1"], 1.0)

    def test_duplicate_captions_count_as_hits(self) -> None:
        # images 0 and 1 share a caption; image 0 is closest to text 1: a hit, since both texts are "a".
        img = np.array([[0, 1, 0], [0, 1, 0], [0, 0, 1]], np.float32)
        txt = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1]], np.float32)
        r = recall(img, txt, ["a", "a", "b"])
        self.assertEqual(r["distinct_captions"], 2)
        self.assertEqual(r["image_to_caption_r@1"], 1.0)

    def test_wrong_matches_are_penalised(self) -> None:
        img = np.eye(3, dtype=np.float32)
        txt = img[[1, 2, 0]]  # every caption embeds where the next image is
        r = recall(img, txt, ["a", "b", "c"], ks=(1, 3))
        self.assertEqual(r["image_to_caption_r@1"], 0.0)
        self.assertEqual(r["caption_to_image_r@1"], 0.0)
        self.assertEqual(r["image_to_caption_r@3"], 1.0)

    def test_mismatched_lengths_are_refused(self) -> None:
        with self.assertRaises(ValueError):
            recall(np.eye(3, dtype=np.float32), np.eye(2, 3, dtype=np.float32), ["a", "b", "c"])


if __name__ == "__main__":
    unittest.main()
