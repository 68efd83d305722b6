"""Checks of the learning-rate schedule: the cosine up to `stop`, then a linear cool-down to 5% of the peak."""

import unittest

import train as T
from common import lr_at


class ScheduleTest(unittest.TestCase):
    def test_cosine_until_stop_then_linear_to_five_percent(self) -> None:
        P = T.PRESETS["full"]
        for step in (0, P["warmup"], P["stop"] - 1):
            self.assertEqual(T.learning_rate(P, step), lr_at(step, P["steps"], P["lr"], P["warmup"]))
        at_stop = lr_at(P["stop"], P["steps"], P["lr"], P["warmup"])
        rates = [T.learning_rate(P, s) for s in range(P["stop"], T.total_steps(P))]
        self.assertTrue(all(a > b for a, b in zip(rates, rates[1:])), "the cool-down decreases")
        self.assertLess(at_stop - rates[0], at_stop / P["cooldown"] * 1.01)  # no jump at the stop
        self.assertAlmostEqual(rates[-1], 0.05 * P["lr"])

    def test_without_cooldown_the_schedule_is_the_cosine(self) -> None:
        P = T.PRESETS["quick"]
        self.assertEqual(T.total_steps(P), P["steps"])
        self.assertAlmostEqual(T.learning_rate(P, P["steps"] - 1), lr_at(P["steps"] - 1, P["steps"], P["lr"], P["warmup"]))


if __name__ == "__main__":
    unittest.main()
