"""Writes the demo dataset: held-out synthetic scenes with their ground-truth captions and labels.

    /usr/bin/python3 tools/florence-vl-mini/make_demo_dataset.py [--out demo/florence-vl-mini-scenes] [--count 300]

The scenes are indices 0..count-1 of the held-out **test** split of scenes.py (never seen in training), so the
mini model's answers on them are honest. The output is deterministic: same bytes on every run (PNG without
timestamps or text chunks, JSON with sorted keys), so regenerating it changes nothing in git.

manifest.jsonl has one line per image: file, caption, split "test" and labels meant for "colour by label" in a
projection explorer: n_objects, colours and shapes (distinct values, sorted, joined by "+"), has_text, word
("none" without text), first_colour / first_shape (the leftmost object, as the caption lists it).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import scenes  # noqa: E402  (imported from this folder)

SPLIT = "test"
DEFAULT_OUT = HERE.parent.parent / "demo" / "florence-vl-mini-scenes"


def png_bytes(scene: scenes.Scene) -> bytes:
    buffer = io.BytesIO()
    # No pnginfo: PIL then writes no tIME/tEXt chunks, and zlib at a fixed level is deterministic.
    scene.image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def labels_of(scene: scenes.Scene) -> dict[str, object]:
    first = scene.objects[0]
    return {
        "n_objects": len(scene.objects),
        "colours": "+".join(sorted({o.colour for o in scene.objects})),
        "shapes": "+".join(sorted({o.shape for o in scene.objects})),
        "has_text": scene.text is not None,
        "word": scene.text if scene.text is not None else "none",
        "first_colour": first.colour,
        "first_shape": first.shape,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.png"):  # a smaller --count must not leave old images behind
        stale.unlink()
    lines = []
    total = 0
    for index in range(args.count):
        scene = scenes.make_scene(index, SPLIT)
        file = f"{SPLIT}-{index:04d}.png"
        data = png_bytes(scene)
        (out / file).write_bytes(data)
        total += len(data)
        row = {"file": file, "caption": scene.caption, "split": SPLIT, "labels": labels_of(scene)}
        lines.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
    manifest = "\n".join(lines) + "\n"
    (out / "manifest.jsonl").write_text(manifest, encoding="utf-8")
    total += len(manifest.encode("utf-8"))
    print(f"wrote {args.count} scenes and manifest.jsonl to {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
