"""Measured against theoretical speed-up of low-rank factorized ReportCNNs (chapter 06).

    python benchmarks/bench_compression.py [--threads 2]

Uses the trained model of chapter 06 (from the cache, or trained once, about
2 minutes on 2 cores) and real Fashion-MNIST test images, so that the
accuracy-relevant weights are the ones timed. Both networks run channels-last
(``helpers.bench.speedup``), as the chapter times them. Times on the CPU.
"""

import numpy as np
from _common import parser, row, start

from helpers import lowrank as L
from helpers.bench import speedup
from helpers.models import count_macs


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    start(args)
    import helpers
    from helpers.data import load
    from helpers.zoo import reportcnn_fashion

    cnn, _, loaded, _, _ = reportcnn_fashion(helpers.setup(quick=False, device="cpu"), progress=False)
    cnn = cnn.cpu().eval()
    x = load("fashion-mnist", "test", grayscale=True, normalize=True, subset=256).images
    print(f"# trained report CNN ({'from the cache' if loaded else 'trained now'}), 256 Fashion-MNIST test images")
    convs = L.conv_layers(cnn)
    targets = ["conv2", "conv3", "conv4"]
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
