"""Training and inference throughput of the book's networks (chapters 04, 07, 08).

    python benchmarks/bench_training.py [--device cuda] [--threads 2]

Prints images per second for one optimisation step on batches of 128 (Adam,
cross-entropy) and for inference on batches of 256, on random tensors of the
real shapes: a regression in the training loop or the models shows up here.
Convolutional networks are measured in both memory layouts: the default NCHW
and channels-last (NHWC), which ``helpers.train.fit`` and ``predict`` use on
the CPU (``helpers.train.cpu_layout``).
"""

import time

import torch
from _common import parser, row, start, train_step

from helpers.bench import paired_times
from helpers.models import MLP, ReportCNN, TinyConvNet


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    dev = start(args)
    nets = {"TinyConvNet (MNIST)": (TinyConvNet, (1, 28, 28)),
            "ReportCNN 28x28 (Fashion-MNIST)": (lambda: ReportCNN(1, 28), (1, 28, 28)),
            "ReportCNN 32x32 (CIFAR-10)": (lambda: ReportCNN(1, 32), (1, 32, 32)),
            "MLP on M=256 projections": (lambda: MLP(256), (256,))}
    row("network", "layout", "train img/s (batch 128)", "inference img/s (batch 256)")
    for name, (make, shape) in nets.items():
        layouts = ["NCHW", "channels-last"] if len(shape) == 3 else ["-"]
        fns = {}
        for layout in layouts:
            torch.manual_seed(0)
            net = make().to(dev)
            if layout == "channels-last":
                net = net.to(memory_format=torch.channels_last)
            x, y = torch.randn(128, *shape, device=dev), torch.randint(0, 10, (128,), device=dev)
            xi = torch.randn(256, *shape, device=dev)

            def infer(net=net, xi=xi):
                with torch.inference_mode():
                    net(xi)
                if dev.type == "cuda":
                    torch.cuda.synchronize()

            fns[layout, "train"] = train_step(net, x, y, dev)
            fns[layout, "infer"] = infer
        t = paired_times(fns, rounds=5, min_time=0.2, warmup=3)
        for layout in layouts:
            row(name, layout, f"{128 / t[layout, 'train']:,.0f}", f"{256 / t[layout, 'infer']:,.0f}")

if __name__ == "__main__":
    start_time = time.perf_counter()
    main()
    print(f"# {time.perf_counter() - start_time:.0f} s")
