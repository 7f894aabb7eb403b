"""Time per compressive-sensing reconstruction (chapter 02).

    python benchmarks/bench_cs.py

Reconstructs a 32 x 32 crop of scikit-image's camera man from M Gaussian
measurements with 1,000 FISTA iterations and prints the seconds per
reconstruction (and its error, to show that it is the real computation).
"""

import time

import numpy as np
from _common import parser, row, start
from skimage import data as skdata
from skimage.transform import resize

from helpers.cs import reconstruct


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    start(args)
    img = resize(skdata.camera().astype(np.float64) / 255, (32, 32), anti_aliasing=True)
    row("M", "method", "seconds per reconstruction", "MSE")
    for m in (128, 256, 512):
        for method in ("fista", "min-norm"):
            t0 = time.perf_counter()
            res = reconstruct(img, m, method=method, iters=1000)
            row(m, method, f"{time.perf_counter() - t0:.3f}", f"{res['mse']:.2e}")


if __name__ == "__main__":
    main()
