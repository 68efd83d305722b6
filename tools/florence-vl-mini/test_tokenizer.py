"""Checks of the byte-level BPE: round trip, spelled words / whole template words, added tokens, json round trip."""

import tempfile
import unittest

import scenes as S
import tokenizer as T


class TokenizerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tok = T.train_bpe(S.corpus_texts(500), 2048)

    def test_round_trip(self) -> None:
        for scene in S.dataset("test", 50):
            for text in (scene.caption, S.region_target(scene), scene.ocr, *(q.question for q in scene.qa)):
                self.assertEqual(self.tok.decode_task(self.tok.encode(text)), text)

    def test_rendered_words_are_spelled_template_words_are_whole(self) -> None:
        # BPE never sees the rendered words, so a word is one token only where the templates spell it too
        # ("word" in "What word is written ..."); colours, shapes and positions are single tokens.
        templates = " ".join(S.corpus_texts(500))
        for word in S.WORDS:
            for text in (word, " " + word):
                if len(self.tok.encode(text, add_special_tokens=False)) == 1:
                    self.assertIn(text, templates)
        for word in (*S.COLOURS, *S.SHAPES, "left", "right", "top", "bottom", "center"):
            self.assertEqual(len(self.tok.encode(" " + word, add_special_tokens=False)), 1)

    def test_special_ids_and_added_tokens(self) -> None:
        ids = self.tok.encode("<OCR>red<loc_5>")
        self.assertEqual((ids[0], ids[-1]), (0, 2))
        self.assertEqual(ids[1], self.tok.token_to_id("<OCR>"))
        self.assertEqual(self.tok.decode(ids), "red")
        self.assertEqual(self.tok.decode_task(ids), "<OCR>red<loc_5>")
        self.assertEqual([self.tok.token_to_id(t) for t in T.SPECIAL_TOKENS], [0, 1, 2, 3])

    def test_json_round_trip(self) -> None:
        with tempfile.NamedTemporaryFile(suffix=".json") as f:
            self.tok.save(f.name)
            loaded = T.Tokenizer.load(f.name)
        self.assertEqual(loaded.to_json(), self.tok.to_json())
        self.assertEqual(loaded.vocab_size, self.tok.vocab_size)


if __name__ == "__main__":
    unittest.main()
