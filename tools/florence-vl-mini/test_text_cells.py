"""Checks of the auxiliary text-cell targets and of their loss weight schedule (train.py)."""

import unittest

import scenes as S
from train import LETTERS, PRESETS, cells_weight, text_cell_targets

GRID = 12
CELL = S.IMAGE_SIZE // GRID


class TextCellsTest(unittest.TestCase):
    def test_cells_hold_the_letters_drawn_in_them(self) -> None:
        batch = S.dataset("train", 30)
        targets = text_cell_targets(batch, GRID)
        self.assertEqual(tuple(targets.shape), (30, GRID * GRID, len(LETTERS) + 1))
        for scene, t in zip(batch, targets):
            if scene.text is None:
                self.assertEqual(float(t.sum()), 0.0)
                continue
            marked = t[:, -1] > 0
            # every marked cell lies inside the word's box, and its letters are letters of the word
            for index in marked.nonzero()[:, 0].tolist():
                r, c = divmod(index, GRID)
                x1, y1, x2, y2 = scene.text_box
                self.assertTrue(x1 < (c + 1) * CELL and c * CELL < x2 and y1 < (r + 1) * CELL and r * CELL < y2)
                letters = {LETTERS[k] for k in t[index, :-1].nonzero()[:, 0].tolist()}
                self.assertTrue(letters and letters <= set(scene.text))
            # every letter of the word is in some cell; the ink bit is set exactly where a letter is
            present = {LETTERS[k] for k in t[:, :-1].sum(0).nonzero()[:, 0].tolist()}
            self.assertEqual(present, set(scene.text))
            self.assertTrue(bool(((t[:, :-1].sum(-1) > 0) == marked).all()))

    def test_weight_holds_then_ramps_down(self) -> None:
        P = PRESETS["full"]
        n, hold = P["stage1_steps"], P["cells_hold"]
        self.assertEqual(cells_weight(P, 0), P["cells_w"])
        self.assertEqual(cells_weight(P, int(n * hold)), P["cells_w"])
        middle = cells_weight(P, int(n * (hold + 0.1)))
        self.assertTrue(P["cells_w_end"] < middle < P["cells_w"])
        self.assertAlmostEqual(cells_weight(P, n - 1), P["cells_w_end"])


if __name__ == "__main__":
    unittest.main()
