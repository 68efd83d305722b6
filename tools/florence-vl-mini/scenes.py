"""Synthetic scenes and their ground truth for Florence-VL-mini.

Every scene is a 192x192 RGB image with 1-3 coloured shapes and, in about half of the images, one
bold word.  All targets (detailed caption, OCR, dense region caption, QA) are produced from fixed
templates in a canonical order, so that a small model can learn them exactly:

* objects are ordered left to right by box centre x, ties broken by centre y;
* positions are coarse thirds of the image measured at the box centre, and layouts whose centres
  fall within a few pixels of a third boundary are rejected, so every position word is unambiguous;
* boxes are (x1, y1, x2, y2) integer pixels, x2/y2 exclusive (the box covers x1 <= x < x2).

A scene is a pure function of (split, index): the seed is derived from a SHA-256 of
"<split>:<index>", never from Python's salted hash().
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFont

IMAGE_SIZE = 192
FONT_PATH = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
SPLITS = ("train", "test", "compositional")

# Saturated colours; backgrounds are low-saturation greys, so they never collide with these.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (215, 35, 35),
    "green": (35, 160, 55),
    "blue": (35, 75, 215),
    "yellow": (245, 205, 30),
    "purple": (135, 55, 185),
    "orange": (245, 130, 20),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "star", "diamond")

# One held-out (colour, shape) pair per colour; every colour and every shape still occurs in
# training with other partners.  These pairs never appear in "train" or "test".
COMPOSITIONAL_PAIRS: frozenset[tuple[str, str]] = frozenset({
    ("red", "star"),
    ("green", "triangle"),
    ("blue", "circle"),
    ("yellow", "diamond"),
    ("purple", "square"),
    ("orange", "star"),
})
ALL_PAIRS: tuple[tuple[str, str], ...] = tuple((c, s) for c in COLOURS for s in SHAPES)
SEEN_PAIRS: tuple[tuple[str, str], ...] = tuple(p for p in ALL_PAIRS if p not in COMPOSITIONAL_PAIRS)

# Words rendered into images.  None of them is a colour, a shape or a template/answer word, so
# captions and answers stay unambiguous to parse.
WORDS: tuple[str, ...] = tuple("""
apple bread chair table house river cloud stone grass plant tiger horse sheep mouse eagle snake
whale shark zebra camel lemon mango peach grape melon berry olive onion bean corn rice salt
sugar honey milk cake pie soup tea juice water fire earth wind rain snow storm ocean lake hill
field beach island forest desert valley bridge road street city town farm garden park school
book page paper pen desk lamp door wall roof floor window clock watch phone radio music song
dance game ball kite boat ship train plane truck bike wheel engine rocket planet moon sun sky
light shadow night day week month year spring summer autumn winter north south east west king
queen prince knight castle tower sword shield crown ring coin gold silver iron copper glass wood
metal cotton wool silk shirt coat hat shoe sock glove scarf bag box cup plate bowl spoon fork
knife pan pot oven bed pillow sofa carpet mirror brush soap towel bath tooth hand foot head
heart brain bone blood smile dream sleep laugh voice word story poem letter frog duck goose owl
bear wolf fox deer lion rabbit monkey panda koala otter seal crab snail spider bee ant moth
worm fish bird cat dog cow pig goat hen nest egg seed leaf root tree flower rose tulip daisy
lily pine oak maple cedar palm fern moss bush vine pearl jewel stamp ticket candle pencil ruler
magnet anchor rope chain lock key gate fence barn tent cabin hotel shop market bank money price
gift party
""".split())

QA_KINDS = ("colour", "shape", "count", "position", "text", "yesno")
COUNT_WORDS = {1: "one", 2: "two", 3: "three"}

PROMPTS: dict[str, str] = {
    "<DETAILED_CAPTION>": "Describe in detail what is shown in the image.",
    "<OCR>": "What is the text in the image?",
    "<DENSE_REGION_CAPTION>": "Locate the objects in the image, with their descriptions.",
}

LOC_BINS = 1000
Box = tuple[int, int, int, int]

# Layout constants.
_EDGE = 3  # keep everything this far from the image border
_GAP = 4  # minimum free pixels between any two items
_THIRD_MARGIN = 5  # reject centres this close to a third boundary (positions stay unambiguous)
_OBJECT_SIZE = (28, 64)
_FONT_SIZE = (24, 32)


@dataclass(frozen=True)
class SceneObject:
    colour: str
    shape: str
    box: Box  # x1, y1, x2, y2 in pixels, x2/y2 exclusive

    @property
    def label(self) -> str:
        return f"{self.colour} {self.shape}"


@dataclass(frozen=True)
class QA:
    kind: str  # one of QA_KINDS
    question: str
    answer: str


@dataclass(frozen=True)
class Scene:
    image: Image.Image  # RGB, IMAGE_SIZE x IMAGE_SIZE
    objects: tuple[SceneObject, ...]  # canonical order
    text: str | None
    text_box: Box | None
    letter_boxes: tuple[Box, ...]  # ink box of each letter of the text, in reading order (empty without text)
    caption: str
    ocr: str  # "" when the image has no text
    regions: tuple[tuple[str, Box], ...]  # objects in canonical order, then the text
    qa: tuple[QA, ...]


# ---------------------------------------------------------------------------------------------
# Location tokens (Florence-2 conventions)


def box_to_locs(box: tuple[float, float, float, float], width: int, height: int) -> tuple[int, int, int, int]:
    """Quantise a pixel box to 1000 bins per axis: bin = clamp(floor(coord / size * 1000), 0, 999)."""
    sizes = (width, height, width, height)
    return tuple(min(max(int(np.floor(c / s * LOC_BINS)), 0), LOC_BINS - 1) for c, s in zip(box, sizes))  # type: ignore[return-value]


def locs_to_box(locs: tuple[int, int, int, int], width: int, height: int) -> tuple[float, float, float, float]:
    """Florence-2 post-processing: coord = (bin + 0.5) / 1000 * size."""
    sizes = (width, height, width, height)
    return tuple((b + 0.5) / LOC_BINS * s for b, s in zip(locs, sizes))  # type: ignore[return-value]


def region_target(scene: Scene) -> str:
    """Dense-region-caption target: label followed by <loc_x1><loc_y1><loc_x2><loc_y2>, per region."""
    parts = []
    for label, box in scene.regions:
        locs = box_to_locs(box, IMAGE_SIZE, IMAGE_SIZE)
        parts.append(label + "".join(f"<loc_{b}>" for b in locs))
    return "".join(parts)


_REGION_RE = re.compile(r"([^<]*(?:<(?!loc_\d+>)[^<]*)*)<loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)>")


def parse_regions(text: str, width: int, height: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Parse "label<loc>x4..." text back to (label, pixel box); an empty label repeats the previous one."""
    out: list[tuple[str, tuple[float, float, float, float]]] = []
    previous = ""
    for m in _REGION_RE.finditer(text):
        label = m.group(1).strip() or previous
        previous = label
        locs = tuple(int(g) for g in m.groups()[1:])
        out.append((label, locs_to_box(locs, width, height)))  # type: ignore[arg-type]
    return out


# ---------------------------------------------------------------------------------------------
# Layout and rendering


def _seed(split: str, index: int) -> int:
    digest = hashlib.sha256(f"{split}:{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@lru_cache(maxsize=None)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT_PATH, size)


def _third(centre: float) -> int | None:
    """Index 0/1/2 of the third containing centre, or None when too close to a boundary."""
    for edge in (IMAGE_SIZE / 3, 2 * IMAGE_SIZE / 3):
        if abs(centre - edge) < _THIRD_MARGIN:
            return None
    return min(int(centre * 3 // IMAGE_SIZE), 2)


def _position(box: Box) -> str:
    """Coarse position phrase: 'top left', 'top', 'left', 'center', 'bottom right', ..."""
    column, row = _third((box[0] + box[2]) / 2), _third((box[1] + box[3]) / 2)
    if column is None or row is None:
        raise ValueError(f"box {box} lies on a third boundary; the layout should have rejected it")
    h = ("left", "center", "right")[column]
    v = ("top", "middle", "bottom")[row]
    if v == "middle":
        return h
    return v if h == "center" else f"{v} {h}"


def _unambiguous(box: Box) -> bool:
    return _third((box[0] + box[2]) / 2) is not None and _third((box[1] + box[3]) / 2) is not None


def _overlaps(a: Box, b: Box) -> bool:
    return not (a[2] + _GAP <= b[0] or b[2] + _GAP <= a[0] or a[3] + _GAP <= b[1] or b[3] + _GAP <= a[1])


def _tone(rng: random.Random, dark: bool) -> np.ndarray:
    """A muted, slightly tinted grey (saturation far below any object colour)."""
    grey = rng.randint(30, 90) if dark else rng.randint(150, 215)
    return np.array([grey + rng.randint(-12, 12) for _ in range(3)], dtype=np.float32)


def _background(rng: random.Random, dark: bool) -> Image.Image:
    a, b = _tone(rng, dark), _tone(rng, dark)
    kind = rng.choice(("plain", "split", "gradient"))
    ramp = np.linspace(0.0, 1.0, IMAGE_SIZE, dtype=np.float32)
    if kind == "plain":
        t = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.float32)
    elif kind == "split":
        t = np.broadcast_to((ramp >= rng.uniform(0.3, 0.7)).astype(np.float32), (IMAGE_SIZE, IMAGE_SIZE))
    else:
        t = np.broadcast_to(ramp, (IMAGE_SIZE, IMAGE_SIZE))
    if rng.random() < 0.5:  # vertical instead of horizontal variation
        t = t.T
    pixels = a + t[..., None] * (b - a)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def _star_points() -> list[tuple[float, float]]:
    angles = np.deg2rad(np.arange(10) * 36 - 90)
    radii = np.where(np.arange(10) % 2 == 0, 1.0, 0.45)
    return list(zip(radii * np.cos(angles), radii * np.sin(angles)))


# Unit-square outlines; each is stretched to fill its box exactly, so the box is tight.
_OUTLINES: dict[str, list[tuple[float, float]]] = {
    "square": [(0, 0), (1, 0), (1, 1), (0, 1)],
    "triangle": [(0.5, 0), (1, 1), (0, 1)],
    "diamond": [(0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)],
}
_star = np.array(_star_points())
_star = (_star - _star.min(0)) / (_star.max(0) - _star.min(0))
_OUTLINES["star"] = [tuple(p) for p in _star]


def _draw_object(draw: ImageDraw.ImageDraw, obj: SceneObject) -> None:
    x1, y1, x2, y2 = obj.box
    fill = COLOURS[obj.colour]
    if obj.shape == "circle":
        draw.ellipse((x1, y1, x2 - 1, y2 - 1), fill=fill)
        return
    w, h = x2 - 1 - x1, y2 - 1 - y1
    draw.polygon([(x1 + u * w, y1 + v * h) for u, v in _OUTLINES[obj.shape]], fill=fill)


def _place_text(rng: random.Random) -> tuple[str, int, tuple[int, int], Box]:
    """Pick a word, font size and origin; returns (word, size, origin, ink box)."""
    word = rng.choice(WORDS)
    size = rng.randint(*_FONT_SIZE)
    left, top, right, bottom = _font(size).getbbox(word)
    while True:
        ox = rng.randint(_EDGE - left, IMAGE_SIZE - _EDGE - right)
        oy = rng.randint(_EDGE - top, IMAGE_SIZE - _EDGE - bottom)
        box = (ox + left, oy + top, ox + right, oy + bottom)
        if _unambiguous(box):
            return word, size, (ox, oy), box


def _letter_boxes(word: str, size: int, origin: tuple[int, int]) -> tuple[Box, ...]:
    """Ink box of each letter: the letter's own glyph box placed at its pen position (advance of the prefix)."""
    font = _font(size)
    boxes = []
    for k, letter in enumerate(word):
        pen = origin[0] + font.getlength(word[:k])
        left, top, right, bottom = font.getbbox(letter)
        boxes.append((int(round(pen + left)), origin[1] + top, int(round(pen + right)), origin[1] + bottom))
    return tuple(boxes)


def _place_objects(rng: random.Random, pairs: list[tuple[str, str]], taken: list[Box]) -> list[SceneObject] | None:
    objects: list[SceneObject] = []
    for colour, shape in pairs:
        for _ in range(200):
            side = rng.randint(*_OBJECT_SIZE)
            x = rng.randint(_EDGE, IMAGE_SIZE - _EDGE - side)
            y = rng.randint(_EDGE, IMAGE_SIZE - _EDGE - side)
            box = (x, y, x + side, y + side)
            if _unambiguous(box) and not any(_overlaps(box, t) for t in taken):
                objects.append(SceneObject(colour, shape, box))
                taken.append(box)
                break
        else:
            return None
    return objects


def _pick_pairs(rng: random.Random, split: str, n: int) -> list[tuple[str, str]]:
    if split == "compositional":
        # At least one held-out pair; the others may be anything.
        return [rng.choice(sorted(COMPOSITIONAL_PAIRS))] + [rng.choice(ALL_PAIRS) for _ in range(n - 1)]
    return [rng.choice(SEEN_PAIRS) for _ in range(n)]


# ---------------------------------------------------------------------------------------------
# Ground-truth text


def _article(phrase: str) -> str:
    return ("an " if phrase[0] in "aeiou" else "a ") + phrase


def _caption(objects: tuple[SceneObject, ...], text: str | None, text_box: Box | None) -> str:
    phrases = [f"{_article(o.label)} at the {_position(o.box)}" for o in objects]
    listed = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " and " + phrases[-1]
    n = len(objects)
    head = "There is one object" if n == 1 else f"There are {COUNT_WORDS[n]} objects"
    caption = f"{head}: {listed}."
    if text is not None and text_box is not None:
        caption += f' The text "{text}" is written at the {_position(text_box)}.'
    return caption


def _unique(objects: tuple[SceneObject, ...], key) -> list[SceneObject]:
    """Objects that `key` (shape, colour or label) names unambiguously in this scene."""
    keys = [key(o) for o in objects]
    return [o for o in objects if keys.count(key(o)) == 1]


def _subject_questions(objects: tuple[SceneObject, ...]):
    """(unambiguous subjects, question about one) for the colour, shape and position kinds, in that order."""
    return (
        (_unique(objects, lambda o: o.shape), lambda o: QA("colour", f"What colour is the {o.shape}?", o.colour)),
        (_unique(objects, lambda o: o.colour), lambda o: QA("shape", f"What shape is the {o.colour} object?", o.shape)),
        (_unique(objects, lambda o: o.label), lambda o: QA("position", f"Where is the {o.label}?", _position(o.box))),
    )


def _count(objects: tuple[SceneObject, ...]) -> QA:
    return QA("count", "How many objects are there?", str(len(objects)))


def _text(text: str | None) -> QA:
    return QA("text", "What word is written in the image?", text if text is not None else "none")


def _yesno(colour: str, shape: str, answer: str) -> QA:
    return QA("yesno", f"Is there {_article(f'{colour} {shape}')}?", answer)


def _absent_pairs(split: str, objects: tuple[SceneObject, ...]) -> list[tuple[str, str]]:
    """Subjects of "no" questions.  In train/test they come from seen pairs only, so held-out pairs are never
    learned as "always absent"."""
    labels = {o.label for o in objects}
    pool = ALL_PAIRS if split == "compositional" else SEEN_PAIRS
    return [p for p in pool if f"{p[0]} {p[1]}" not in labels]


def _questions(rng: random.Random, split: str, objects: tuple[SceneObject, ...], text: str | None) -> tuple[QA, ...]:
    """One QA per kind (colour/shape/position only when an unambiguous subject exists)."""
    colour, shape, position = (ask(rng.choice(subjects)) if subjects else None
                               for subjects, ask in _subject_questions(objects))
    if rng.random() < 0.5:  # balanced yes/no
        o = rng.choice(objects)
        yesno = _yesno(o.colour, o.shape, "yes")
    else:
        yesno = _yesno(*rng.choice(_absent_pairs(split, objects)), "no")
    return tuple(q for q in (colour, shape, _count(objects), position, _text(text), yesno) if q is not None)


def all_questions(scene: "Scene", split: str, rng: random.Random) -> tuple[QA, ...]:
    """Every question `_questions` could have asked about the scene, with the yes/no kind balanced: "yes" for each
    distinct label and as many "no"s drawn from the absent pairs with `rng`.  Stage 2 trains on these (the image's
    visual tokens are paid for once, each extra turn costs a dozen tokens); `Scene.qa` stays the evaluation set."""
    objects = scene.objects
    colour, shape, position = ([ask(o) for o in subjects] for subjects, ask in _subject_questions(objects))
    present = sorted({(o.colour, o.shape) for o in objects})
    yes = [_yesno(c, s, "yes") for c, s in present]
    no = [_yesno(c, s, "no") for c, s in rng.sample(_absent_pairs(split, objects), len(present))]
    return (*colour, *shape, _count(objects), *position, _text(scene.text), *yes, *no)


# ---------------------------------------------------------------------------------------------
# Public API


def make_scene(index: int, split: str) -> Scene:
    """The scene number `index` of `split`; a pure function of its arguments."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}")
    rng = random.Random(_seed(split, index))
    dark = rng.random() < 0.5
    image = _background(rng, dark)

    while True:  # rejection sampling of the whole layout (rarely needs a second try)
        text: str | None = None
        text_box: Box | None = None
        taken: list[Box] = []
        if rng.random() < 0.5:
            text, font_size, origin, text_box = _place_text(rng)
            taken.append(text_box)
        placed = _place_objects(rng, _pick_pairs(rng, split, rng.randint(1, 3)), taken)
        if placed is not None:
            break

    objects = tuple(sorted(placed, key=lambda o: (o.box[0] + o.box[2], o.box[1] + o.box[3])))
    draw = ImageDraw.Draw(image)
    for o in objects:
        _draw_object(draw, o)
    if text is not None:
        ink = (245, 245, 245) if dark else (15, 15, 15)
        draw.text(origin, text, font=_font(font_size), fill=ink)

    regions = tuple((o.label, o.box) for o in objects)
    if text is not None and text_box is not None:
        regions += ((f"text {text}", text_box),)
    return Scene(
        image=image,
        objects=objects,
        text=text,
        text_box=text_box,
        letter_boxes=_letter_boxes(text, font_size, origin) if text is not None else (),
        caption=_caption(objects, text, text_box),
        ocr=text or "",
        regions=regions,
        qa=_questions(rng, split, objects, text),
    )


def dataset(split: str, n: int, start: int = 0) -> list[Scene]:
    return [make_scene(i, split) for i in range(start, start + n)]


def corpus_texts(n_scenes: int = 3000) -> list[str]:
    """Every kind of string the tokenizer must encode well, for BPE training.

    The rendered words are cut out of the corpus, so BPE learns no merge from them: a word is then spelled
    in letters and short pieces shared by all words, and OCR reads it piece by piece instead of having to
    classify 200 whole-word tokens (which a small model does not learn in the CPU budget)."""
    texts: list[str] = list(PROMPTS.values())
    for scene in dataset("train", n_scenes):
        cut = re.compile(rf"\b{re.escape(scene.text)}\b") if scene.text else None
        for text in [scene.caption, *(label for label, _ in scene.regions), *(f"{q.question} {q.answer}" for q in scene.qa)]:
            texts.append(cut.sub("", text) if cut else text)
    # Every (colour, shape) pair, including the held-out ones, in each template.
    for colour, shape in ALL_PAIRS:
        texts += [f"{colour} {shape}", _article(f"{colour} {shape}"), f"Is there {_article(f'{colour} {shape}')}? no",
                  f"Where is the {colour} {shape}? center"]
    return texts
