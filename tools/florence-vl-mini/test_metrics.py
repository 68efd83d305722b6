"""Checks of the metrics: ground truth scores 1.0, obvious errors score lower."""

import unittest

import metrics as M
import scenes as S


def _truth(scene: S.Scene) -> M.Prediction:
    return M.Prediction(scene.caption, scene.ocr, S.region_target(scene), [q.answer for q in scene.qa])


class MetricsTest(unittest.TestCase):
    def test_ground_truth_is_perfect(self) -> None:
        scenes = S.dataset("test", 60)
        result = M.evaluate(scenes, [_truth(s) for s in scenes])
        for key in ("caption_exact", "caption_object_f1", "ocr_exact", "region_miou", "region_label_acc", "qa_acc"):
            self.assertEqual(result[key], 1.0, key)
        self.assertEqual(set(result["qa_acc_by_type"]), set(S.QA_KINDS))

    def test_errors_are_penalised(self) -> None:
        scenes = S.dataset("test", 20)
        empty = [M.Prediction("", "", "", ["" for _ in s.qa]) for s in scenes]
        result = M.evaluate(scenes, empty)
        self.assertEqual(result["region_miou"], 0.0)
        self.assertEqual(result["qa_acc"], 0.0)
        # Regions given in reverse order still match; a wrong label only costs label accuracy.
        scene = next(s for s in scenes if len(s.regions) > 1)
        reversed_text = "".join(
            label + "".join(f"<loc_{b}>" for b in S.box_to_locs(box, S.IMAGE_SIZE, S.IMAGE_SIZE))
            for label, box in reversed(scene.regions)
        )
        ious, labels = M._match_regions(scene, reversed_text)
        self.assertEqual((min(ious), all(labels)), (1.0, True))
        self.assertAlmostEqual(M._object_f1("a red circle and a blue star", "a red circle"), 2 / 3)


if __name__ == "__main__":
    unittest.main()
