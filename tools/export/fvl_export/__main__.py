"""`python -m fvl_export export --from CKPT --out MODEL [...]` and `python -m fvl_export detect --from CKPT`.

Progress goes to stderr; with --json the final report (detected format, architecture, prompts, files) is printed
to stdout as one JSON object, which `npx fvl model export` reads. Typed errors exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from .errors import ExportError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fvl_export")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="export a checkpoint folder to a Lens model folder")
    export.add_argument("--from", dest="source", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True)
    export.add_argument("--dtype", default="fp32", help="fp32, fp16 or both (fp32,fp16)")
    export.add_argument("--image-size", type=int)
    export.add_argument("--tower-files", type=Path,
                        help="folder with the Florence-2 tokenizer.json + preprocessor_config.json (Florence-VL)")
    export.add_argument("--breadth-mode", choices=["florence-vl", "lens"])
    export.add_argument("--pad-to-square", action=argparse.BooleanOptionalAction, default=None)
    export.add_argument("--name")
    export.add_argument("--external-data-mb", type=float, default=2048,
                        help="graphs with more weight bytes than this get ONNX external data (default 2 GB)")
    export.add_argument("--json", action="store_true", help="print the report as JSON on stdout")
    detect = commands.add_parser("detect", help="print the detected format and architecture")
    detect.add_argument("--from", dest="source", type=Path, required=True)
    args = parser.parse_args(argv)

    import torch  # after argument parsing, so --help is instant

    torch.set_num_threads(int(os.environ.get("FVL_EXPORT_THREADS", "2")))
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    try:
        if args.command == "detect":
            from .checkpoint import load_checkpoint
            from .encoders import encoder_family

            family = encoder_family(args.source)
            if family is not None:
                print(json.dumps({"format": f"encoder:{family}", "architecture": {}, "notes": []}))
                return 0

            checkpoint = load_checkpoint(args.source)
            print(json.dumps({"format": checkpoint.format, "architecture": checkpoint.architecture,
                              "notes": checkpoint.notes}))
            return 0
        from .export import export_checkpoint

        dtypes = [d.strip() for d in args.dtype.split(",")]
        if any(d not in ("fp32", "fp16") for d in dtypes):
            parser.error("--dtype takes fp32, fp16 or fp32,fp16")
        report = export_checkpoint(
            args.source, args.out, dtypes=dtypes, image_size=args.image_size, tower_files=args.tower_files,
            breadth_mode=args.breadth_mode, pad_to_square=args.pad_to_square, name=args.name,
            external_data_bytes=int(args.external_data_mb * 1024**2), log=log)
    except ExportError as error:
        print(f"{error.kind}: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
    else:
        log(f"done in {report['seconds']} s: {report['out']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
