"""Cost of the random-feature sweep of chapter 08: one SVD per width.

    python benchmarks/bench_double_descent.py

Prints the seconds of one feature matrix and its SVD for n = 1000 training
images at several widths N, on random inputs of MNIST's size (784 pixels).
"""

import time

import numpy as np
from _common import parser, row, start

from helpers import double_descent as DD


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    start(args)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1000, 784))
    row("width N", "features (s)", "SVD (s)")
    for n_feat in (250, 1000, 4000, 10000):
        t0 = time.perf_counter()
        f, _ = DD.random_relu_features(x, n_feat, seed=0)
        t1 = time.perf_counter()
        DD.SVDFit(f)
        t2 = time.perf_counter()
        row(n_feat, f"{t1 - t0:.3f}", f"{t2 - t1:.3f}")


if __name__ == "__main__":
    main()
