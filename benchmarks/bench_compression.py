"""Measured against theoretical speed-up of low-rank factorized ReportCNNs (chapter 06).

    python benchmarks/bench_compression.py [--threads 2]

Uses the cached trained model when there is one (else random weights: speed
does not depend on the values) and real Fashion-MNIST test images when
LAAIC_DATA_ROOT points at the data (else random inputs, which ran slower on
the book's CPU; the line says which). Times on the CPU.
"""

import numpy as np
import torch
from _common import parser, row, start

from helpers import lowrank as L
from helpers.bench import speedup
from helpers.models import ReportCNN, count_macs


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    start(args)
    cnn = ReportCNN(1, 28).eval()
    try:
        from helpers.data import load
        x = load("fashion-mnist", "test", grayscale=True, normalize=True, subset=256).images
        source = "Fashion-MNIST test images"
    except Exception:
        x = torch.randn(256, 1, 28, 28)
        source = "random inputs"
    print(f"# inputs: {source}")
    convs = L.conv_layers(cnn)
    targets = ["features.3", "features.6", "features.9"]
    base = count_macs(cnn, (1, 28, 28))
    row("rank fraction f", "multiply-add ratio", "theoretical speed-up", "measured, batch 256", "measured, batch 1")
    for f in (1 / 16, 1 / 8, 1 / 4, 1 / 2):
        ranks = {n: int(np.ceil(f * min(convs[n].weight.shape[0], convs[n].weight[0].numel()))) for n in targets}
        net = L.compress(cnn, ranks).eval()
        ratio = count_macs(net, (1, 28, 28)) / base
        s256 = speedup(cnn, net, x, threads=args.threads)["speedup"]
        s1 = speedup(cnn, net, x[:1], threads=args.threads)["speedup"]
        row(f"{f:.4g}", f"{ratio:.3f}", f"{1 / ratio:.2f}", f"{s256:.2f}", f"{s1:.2f}")


if __name__ == "__main__":
    main()
