"""Evaluation of Florence-VL-mini predictions against scene ground truth (numpy only)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from scenes import COLOURS, IMAGE_SIZE, QA_KINDS, SHAPES, Scene, box_to_locs, locs_to_box, parse_regions

_OBJECT_RE = re.compile(r"\b(" + "|".join(COLOURS) + r") (" + "|".join(SHAPES) + r")\b")


@dataclass
class Prediction:
    caption: str
    ocr: str
    regions_text: str  # raw dense-region-caption output with <loc_N> tokens
    answers: list[str]  # aligned with scene.qa


def _normalise(answer: str) -> str:
    return answer.strip().lower()


def evaluate_qa(scenes: list[Scene], answers: list[list[str]]) -> tuple[float, dict[str, float]]:
    """Exact-match accuracy (after strip/lower) overall and per QA kind present in the scenes."""
    hits: dict[str, list[bool]] = {kind: [] for kind in QA_KINDS}
    for scene, predicted in zip(scenes, answers, strict=True):
        for qa, answer in zip(scene.qa, predicted, strict=True):
            hits[qa.kind].append(_normalise(answer) == qa.answer)
    everything = [h for kind_hits in hits.values() for h in kind_hits]
    by_type = {kind: float(np.mean(h)) for kind, h in hits.items() if h}
    return float(np.mean(everything)) if everything else 0.0, by_type


def _object_f1(predicted: str, truth: str) -> float:
    """F1 of the multisets of (colour, shape) mentions; 1.0 when both are empty."""
    p, t = Counter(_OBJECT_RE.findall(predicted)), Counter(_OBJECT_RE.findall(truth))
    if not p and not t:
        return 1.0
    common = sum((p & t).values())
    if common == 0:
        return 0.0
    precision, recall = common / sum(p.values()), common / sum(t.values())
    return 2 * precision * recall / (precision + recall)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of boxes a [N,4] and b [M,4] (x1, y1, x2, y2) -> [N,M]."""
    lo = np.maximum(a[:, None, :2], b[None, :, :2])
    hi = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=-1)
    area_a = np.prod(np.clip(a[:, 2:] - a[:, :2], 0, None), axis=-1)
    area_b = np.prod(np.clip(b[:, 2:] - b[:, :2], 0, None), axis=-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _match_regions(scene: Scene, regions_text: str) -> tuple[list[float], list[bool]]:
    """Greedy one-to-one matching by IoU; per truth region its IoU and whether the label matches.

    Truth boxes go through the same loc quantisation as predictions, so the ground truth itself
    scores IoU 1.0.  Unmatched truth regions score IoU 0 and a wrong label.
    """
    truth = scene.regions
    predicted = parse_regions(regions_text, IMAGE_SIZE, IMAGE_SIZE)
    ious = [0.0] * len(truth)
    labels = [False] * len(truth)
    if not truth or not predicted:
        return ious, labels
    t_boxes = np.array([locs_to_box(box_to_locs(b, IMAGE_SIZE, IMAGE_SIZE), IMAGE_SIZE, IMAGE_SIZE) for _, b in truth])
    p_boxes = np.array([b for _, b in predicted])
    iou = _iou(t_boxes, p_boxes)
    matched_truth: set[int] = set()
    used_predictions: set[int] = set()
    # Highest IoU first; the stable sort resolves ties by truth index, then prediction index.
    for flat in np.argsort(-iou, axis=None, kind="stable"):
        ti, pi = (int(i) for i in np.unravel_index(flat, iou.shape))
        if iou[ti, pi] <= 0:
            break
        if ti in matched_truth or pi in used_predictions:
            continue
        matched_truth.add(ti)
        used_predictions.add(pi)
        ious[ti] = float(iou[ti, pi])
        labels[ti] = predicted[pi][0] == truth[ti][0]
    return ious, labels


def evaluate(scenes: list[Scene], predictions: list[Prediction]) -> dict:
    """All quality metrics on one split (means over scenes, regions or questions)."""
    if len(scenes) != len(predictions):
        raise ValueError("one prediction per scene expected")
    caption_exact = [p.caption.strip() == s.caption for s, p in zip(scenes, predictions)]
    object_f1 = [_object_f1(p.caption, s.caption) for s, p in zip(scenes, predictions)]
    ocr_exact = [p.ocr.strip() == s.ocr for s, p in zip(scenes, predictions) if s.text is not None]
    ious: list[float] = []
    labels: list[bool] = []
    for scene, prediction in zip(scenes, predictions):
        scene_ious, scene_labels = _match_regions(scene, prediction.regions_text)
        ious += scene_ious
        labels += scene_labels
    qa_acc, qa_by_type = evaluate_qa(scenes, [p.answers for p in predictions])

    def mean(values: list) -> float:
        return float(np.mean(values)) if values else 0.0

    return {
        "caption_exact": mean(caption_exact),
        "caption_object_f1": mean(object_f1),
        "ocr_exact": mean(ocr_exact),
        "region_miou": mean(ious),
        "region_label_acc": mean(labels),
        "qa_acc": qa_acc,
        "qa_acc_by_type": qa_by_type,
    }
