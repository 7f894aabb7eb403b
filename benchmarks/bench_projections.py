"""Cost of the projections of chapter 07: random projection, PCA, and the MLP that reads them.

    python benchmarks/bench_projections.py [--device cuda]

Prints the seconds to project 60,000 images of 784 pixels to M dimensions,
to compute the principal axes of 10,000 of them, and the MLP's training
throughput at each M.
"""

import time

import torch
from _common import parser, row, start, train_step

from helpers.bench import paired_times
from helpers.models import MLP
from helpers.projections import pca_projection, random_projection


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    dev = start(args)
    x = torch.randn(60000, 784)
    t0 = time.perf_counter()
    pca_projection(x[:10000], 512)
    print(f"# PCA of 10,000 x 784 (SVD in float64): {time.perf_counter() - t0:.2f} s")
    row("M", "project 60,000 images (s)", "MLP train img/s (batch 128)")
    for m in (16, 64, 256, 512):
        p = random_projection(m, 784, seed=0)
        t0 = time.perf_counter()
        p(x)
        t_proj = time.perf_counter() - t0
        xb, yb = torch.randn(128, m, device=dev), torch.randint(0, 10, (128,), device=dev)
        step = train_step(MLP(m).to(dev), xb, yb, dev)

        t = paired_times({"s": step}, rounds=5, min_time=0.1, warmup=3)["s"]
        row(m, f"{t_proj:.3f}", f"{128 / t:,.0f}")


if __name__ == "__main__":
    main()
