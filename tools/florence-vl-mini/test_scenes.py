"""Checks of the scene generator: determinism, disjoint splits, layout rules, target formats."""

import random
import unittest

import numpy as np

import scenes as S


class ScenesTest(unittest.TestCase):
    def test_all_questions_cover_the_evaluation_set_with_balanced_yes_no(self) -> None:
        rng = random.Random(0)
        for scene in S.dataset("train", 200):
            qa = S.all_questions(scene, "train", rng)
            for q in scene.qa:
                if q.answer != "no":  # the evaluation's "no" subject is one draw among the absent pairs
                    self.assertIn(q, qa)
            labels = {o.label for o in scene.objects}
            yes = [q for q in qa if q.kind == "yesno" and q.answer == "yes"]
            no = [q for q in qa if q.kind == "yesno" and q.answer == "no"]
            self.assertEqual(len(yes), len(labels))
            self.assertEqual(len(no), len(labels))
            for q in no:
                subject = q.question.removeprefix("Is there ").removesuffix("?").split(" ", 1)[1]
                self.assertNotIn(subject, labels)
                self.assertIn(tuple(subject.split(" ")), S.SEEN_PAIRS)
            self.assertEqual(len({q.question for q in qa}), len(qa))
            self.assertLessEqual({"count", "text", "yesno"}, {q.kind for q in qa})

    def test_deterministic_and_splits_differ(self) -> None:
        a, b = S.make_scene(7, "train"), S.make_scene(7, "train")
        self.assertEqual(a.caption, b.caption)
        self.assertTrue(np.array_equal(np.asarray(a.image), np.asarray(b.image)))
        self.assertNotEqual(S.make_scene(7, "test").image.tobytes(), a.image.tobytes())

    def test_layout_and_pairs(self) -> None:
        for split in S.SPLITS:
            for scene in S.dataset(split, 100):
                self.assertEqual(scene.image.size, (S.IMAGE_SIZE, S.IMAGE_SIZE))
                boxes = [b for _, b in scene.regions]
                for i, a in enumerate(boxes):
                    self.assertTrue(0 <= a[0] < a[2] <= S.IMAGE_SIZE and 0 <= a[1] < a[3] <= S.IMAGE_SIZE)
                    for b in boxes[i + 1:]:
                        self.assertFalse(S._overlaps(a, b))
                pairs = {(o.colour, o.shape) for o in scene.objects}
                held_out = pairs & S.COMPOSITIONAL_PAIRS
                self.assertEqual(bool(held_out), split == "compositional")
                centres = [(o.box[0] + o.box[2], o.box[1] + o.box[3]) for o in scene.objects]
                self.assertEqual(centres, sorted(centres))
                self.assertEqual({q.kind for q in scene.qa} >= {"count", "text", "yesno"}, True)

    def test_letter_boxes_lie_in_the_text_box_in_reading_order(self) -> None:
        scenes = S.dataset("train", 40)
        with_text = [s for s in scenes if s.text is not None]
        self.assertGreater(len(with_text), 10)
        for scene in with_text:
            self.assertEqual(len(scene.letter_boxes), len(scene.text))
            x1, y1, x2, y2 = scene.text_box
            for a, b in zip(scene.letter_boxes, scene.letter_boxes[1:]):
                self.assertLess(a[0], b[0])
            for lx1, ly1, lx2, ly2 in scene.letter_boxes:
                self.assertTrue(x1 - 1 <= lx1 < lx2 <= x2 + 1 and y1 <= ly1 < ly2 <= y2)
            self.assertLessEqual(abs(scene.letter_boxes[0][0] - x1), 1)
            self.assertLessEqual(abs(scene.letter_boxes[-1][2] - x2), 1)
        self.assertTrue(all(s.letter_boxes == () for s in scenes if s.text is None))

    def test_region_round_trip(self) -> None:
        scene = S.make_scene(3, "train")
        parsed = S.parse_regions(S.region_target(scene), S.IMAGE_SIZE, S.IMAGE_SIZE)
        self.assertEqual([label for label, _ in parsed], [label for label, _ in scene.regions])
        for (_, box), (_, truth) in zip(parsed, scene.regions):
            self.assertLess(max(abs(p - t) for p, t in zip(box, truth)), 1.0)
        # An empty label repeats the previous one.
        twice = S.parse_regions("red circle<loc_1><loc_2><loc_3><loc_4><loc_5><loc_6><loc_7><loc_8>", 1000, 1000)
        self.assertEqual([label for label, _ in twice], ["red circle", "red circle"])


if __name__ == "__main__":
    unittest.main()
