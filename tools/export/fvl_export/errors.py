"""Typed errors of the exporter. Each says what was found, what was expected and what to do about it."""

from __future__ import annotations


class ExportError(Exception):
    """Base class: the CLI prints `kind: message` and exits with status 2 for these (1 for anything else)."""

    kind = "export-error"


class UnknownFormatError(ExportError):
    kind = "unknown-format"


class MissingWeightsError(ExportError):
    kind = "missing-weights"


class WeightShapeError(ExportError):
    kind = "weight-shape"


class TruncatedShardError(ExportError):
    kind = "truncated-shard"


class LanguageModelOnlyError(ExportError):
    kind = "language-model-only"


class MissingProcessorFilesError(ExportError):
    kind = "missing-processor-files"


class OutputFolderError(ExportError):
    kind = "output-folder"
