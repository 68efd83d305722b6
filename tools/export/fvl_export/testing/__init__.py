"""Test fixtures: random-initialised, shrunk Florence-2 / Florence-VL checkpoints in the three input formats."""
