"""umap-learn on the data bench/umap.ts wrote, with the same n_neighbors / min_dist / epochs: prints one JSON line
(fit seconds, cold and warm) and saves the layout as float32 .npy for bench/umap.ts to score with Lens' own
trustworthiness code. Run with tools/bench/.venv/bin/python (pinned umap-learn, tools/bench/requirements.txt).

No random_state: umap-learn turns its parallel layout (numba prange) off when seeded, and the comparison is
against its fastest configuration. The first fit in a process compiles its numba kernels (partly cached on
disk), so a small warm-up fit runs first; both the warm-up's and the measured fit's times are reported.
"""

import argparse
import json
import resource
import time
from importlib.metadata import version

import numpy as np
import umap

# Points in the warm-up fit: enough to compile every kernel the real fit uses (below 4,096 points umap-learn
# takes exact neighbours instead of NN-descent), few enough to take little time once compiled.
WARMUP_POINTS = 5000


def cpu_seconds() -> float:
    """CPU time of this process, all threads (numba's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def fit(x: np.ndarray, args: argparse.Namespace) -> tuple[np.ndarray, float, float]:
    reducer = umap.UMAP(
        n_neighbors=args.n_neighbors,
        min_dist=args.min_dist,
        n_epochs=args.epochs,
        n_jobs=args.threads,
    )
    started = time.perf_counter()
    cpu_started = cpu_seconds()
    layout = reducer.fit_transform(x)
    return layout.astype(np.float32), time.perf_counter() - started, cpu_seconds() - cpu_started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--input", required=True, help="[n, dim] float32 .npy")
    parser.add_argument("--output", required=True, help="[n, 2] float32 .npy written here")
    parser.add_argument("--n-neighbors", type=int, required=True)
    parser.add_argument("--min-dist", type=float, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args()
    x = np.load(args.input)
    _, warmup_s, _ = fit(x[:WARMUP_POINTS], args)
    layout, fit_s, cpu_s = fit(x, args)
    np.save(args.output, layout)
    report = {"umap_learn": version("umap-learn"), "fit_s": fit_s, "cpu_s": cpu_s, "warmup_fit_s": warmup_s}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
