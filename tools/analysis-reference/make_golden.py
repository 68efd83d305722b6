"""Reference numbers for lib/analysis, computed with NumPy and scikit-learn.

Writes seeded inputs and reference outputs as JSON (shapes + flat row-major float64 lists, printed with
Python's round-trip repr) to tests/fixtures/analysis-golden/ (or --out DIR). The unit tests compare
lib/analysis against these files, and re-run this script to check the committed files are reproducible.

Run with Debian's interpreter, single-threaded BLAS for bit-stable sums:
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/analysis-reference/make_golden.py
"""

import argparse
import json
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.manifold import trustworthiness  # noqa: E402
from sklearn.neighbors import NearestNeighbors  # noqa: E402

SEED = 20241204


def matrix(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": a.ravel().tolist()}


def linear_cka(x, y):
    """Feature-space linear CKA (Kornblith et al. 2019) on column-centred data."""
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    cross = np.linalg.norm(y.T @ x, "fro") ** 2
    return cross / (np.linalg.norm(x.T @ x, "fro") * np.linalg.norm(y.T @ y, "fro"))


def cka_cases(rng):
    cases = []
    for name, n, dx, dy in [("tall", 64, 24, 40), ("wide", 20, 48, 30)]:
        x = rng.normal(size=(n, dx)) * rng.uniform(0.5, 3.0, size=dx) + rng.normal(size=dx)
        y = np.tanh(x @ rng.normal(size=(dx, dy)) / np.sqrt(dx)) + 0.3 * rng.normal(size=(n, dy))
        cases.append({"name": name, "x": matrix(x), "y": matrix(y), "cka": linear_cka(x, y)})
    return cases


def pca_cases(rng):
    cases = []
    for name, n, d, k in [("tall", 80, 12, 5), ("wide", 30, 50, 4)]:
        scales = np.geomspace(4.0, 0.2, d)
        x = rng.normal(size=(n, d)) @ np.diag(scales) @ np.linalg.qr(rng.normal(size=(d, d)))[0] + 5.0
        pca = PCA(n_components=k, svd_solver="full").fit(x)
        components = pca.components_.copy()
        # lib/analysis' convention: each component's largest-|loading| entry is positive (scikit-learn's own
        # svd_flip convention changed between versions, so the reference fixes it explicitly).
        signs = np.sign(components[np.arange(k), np.argmax(np.abs(components), axis=1)])
        components *= signs[:, None]
        transformed = pca.transform(x) * signs
        cases.append(
            {
                "name": name,
                "components_requested": k,
                "x": matrix(x),
                "mean": pca.mean_.tolist(),
                "components": matrix(components),
                "explained_variance": pca.explained_variance_.tolist(),
                "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
                "transformed": matrix(transformed),
            }
        )
    return cases


def knn_recall(high, low, k):
    """Mean over points of |kNN_high(i) ∩ kNN_low(i)| / k, each point excluded from its own neighbours."""
    nn_high = NearestNeighbors(n_neighbors=k).fit(high).kneighbors(return_distance=False)
    nn_low = NearestNeighbors(n_neighbors=k).fit(low).kneighbors(return_distance=False)
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(nn_high, nn_low)]))


def quality_case(rng):
    n, d = 150, 10
    centres = rng.normal(size=(5, d)) * 3.0
    high = centres[rng.integers(0, 5, size=n)] + rng.normal(size=(n, d))
    low = high[:, :2] + 0.8 * rng.normal(size=(n, 2))
    ks = [5, 10]
    return {
        "high": matrix(high),
        "low": matrix(low),
        "k": ks,
        "trustworthiness": [trustworthiness(high, low, n_neighbors=k) for k in ks],
        "knn_recall": [knn_recall(high, low, k) for k in ks],
    }


def alignment_loss(weight, bias, visual, text, temperature):
    """The paper's loss: CE(softmax(F_v F_tᵀ / τ), I), F = row-L2-normalised pooled features, F_v = norm(V W + b)."""
    u = visual @ weight + bias
    fv = u / np.linalg.norm(u, axis=1, keepdims=True)
    ft = text / np.linalg.norm(text, axis=1, keepdims=True)
    logits = fv @ ft.T / temperature
    logits = logits - logits.max(axis=1, keepdims=True)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    n = visual.shape[0]
    loss = -np.mean(np.diag(log_softmax))
    # Analytic gradient, checked below against central differences.
    g_logits = (np.exp(log_softmax) - np.eye(n)) / (n * temperature)
    g_fv = g_logits @ ft
    norms = np.linalg.norm(u, axis=1, keepdims=True)
    g_u = (g_fv - fv * np.sum(fv * g_fv, axis=1, keepdims=True)) / norms
    return loss, visual.T @ g_u, g_u.sum(axis=0)


def alignment_cases(rng):
    cases = []
    for temperature in [1.0, 0.1]:
        n, dv, dt = 16, 12, 10
        visual = rng.normal(size=(n, dv)) + 0.5
        text = visual @ rng.normal(size=(dv, dt)) * 0.3 + rng.normal(size=(n, dt))
        weight = rng.normal(size=(dv, dt)) / np.sqrt(dv)
        bias = rng.normal(size=dt) * 0.1
        loss, g_weight, g_bias = alignment_loss(weight, bias, visual, text, temperature)
        step = 1e-6
        for index in [(0, 0), (3, 7), (11, 9)]:
            plus, minus = weight.copy(), weight.copy()
            plus[index] += step
            minus[index] -= step
            numeric = (
                alignment_loss(plus, bias, visual, text, temperature)[0]
                - alignment_loss(minus, bias, visual, text, temperature)[0]
            ) / (2 * step)
            assert abs(numeric - g_weight[index]) < 1e-7 * max(1.0, abs(numeric)), (index, numeric, g_weight[index])
        cases.append(
            {
                "temperature": temperature,
                "visual": matrix(visual),
                "text": matrix(text),
                "weight": matrix(weight),
                "bias": bias.tolist(),
                "loss": float(loss),
                "grad_weight": matrix(g_weight),
                "grad_bias": g_bias.tolist(),
            }
        )
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default_out = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "analysis-golden")
    parser.add_argument("--out", default=default_out)
    out = parser.parse_args().out
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(SEED)
    files = {
        "cka.json": cka_cases(rng),
        "pca.json": pca_cases(rng),
        "projection-quality.json": quality_case(rng),
        "alignment-loss.json": alignment_cases(rng),
    }
    for name, content in files.items():
        with open(os.path.join(out, name), "w") as handle:
            json.dump(content, handle)
            handle.write("\n")


if __name__ == "__main__":
    main()
