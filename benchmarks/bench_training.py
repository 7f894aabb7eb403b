"""Training and inference throughput of the book's networks (chapters 04, 07, 08).

    python benchmarks/bench_training.py [--device cuda] [--threads 2] [--profile]

Prints images per second for one optimisation step on batches of 128 (Adam,
cross-entropy) and for inference on batches of 256, on random tensors of the
real shapes: a regression in the training loop or the models shows up here.
Convolutional networks are measured in both memory layouts: the default NCHW
and channels-last (NHWC), which ``helpers.train.fit`` and ``predict`` use on
the CPU (``helpers.perf.channels_last``). ``--profile`` adds where the time
of one ReportCNN training step goes, by kind of operation (torch.profiler).
"""

import time

import torch
from _common import parser, row, start, train_step

from helpers.bench import paired_times
from helpers.models import MLP, ReportCNN, TinyConvNet

# operator names (torch.profiler keys) grouped by what they do
GROUPS = {
    "convolution, forward": ["aten::mkldnn_convolution", "aten::cudnn_convolution", "aten::_convolution"],
    "convolution, backward": ["aten::convolution_backward"],
    "max-pooling, forward and backward": ["aten::max_pool2d_with_indices", "aten::max_pool2d_with_indices_backward"],
    "ReLU, forward and backward": ["aten::clamp_min", "aten::relu", "aten::threshold_backward"],
    "dense layers": ["aten::addmm", "aten::mm"],
    "optimizer (Adam)": [
        "Optimizer.step#Adam.step",
        "aten::lerp_",
        "aten::sqrt",
        "aten::addcdiv_",
        "aten::addcmul_",
        "aten::mul_",
        "aten::div",
        "aten::add_",
        "aten::_foreach_add_",
    ],
}


def profile(dev):
    """Share of one ReportCNN (28x28) training step's operator time per kind of operation."""
    import os

    # quiets the profiler's "gpuGetDeviceCount failed" line on machines without a GPU
    os.environ.setdefault("KINETO_LOG_LEVEL", "5")
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    from helpers.perf import channels_last

    torch.manual_seed(0)
    net = ReportCNN(1, 28).to(dev)
    x, y = torch.randn(128, 1, 28, 28, device=dev), torch.randint(0, 10, (128,), device=dev)
    step = train_step(net, x, y, dev)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if dev.type == "cuda" else [])
    with channels_last(net, dev):
        for _ in range(5):
            step()
        with torch_profile(activities=activities) as prof:
            for _ in range(20):
                step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    print(f"# where a ReportCNN training step's operator time goes ({dev.type}, batch 128, 20 steps)")
    row("operations", "share")
    named = set()
    for group, names in GROUPS.items():
        named |= set(names)
        row(group, f"{100 * sum(e.self_cpu_time_total for e in events if e.key in names) / total:.1f} %")
    other = sorted(((e.self_cpu_time_total, e.key) for e in events if e.key not in named), reverse=True)
    row(
        "everything else (largest: " + ", ".join(k for _, k in other[:3]) + ")",
        f"{100 * sum(t for t, _ in other) / total:.1f} %",
    )


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--profile", action="store_true", help="also show where a training step's time goes")
    args = p.parse_args()
    dev = start(args)
    nets = {
        "TinyConvNet (MNIST)": (TinyConvNet, (1, 28, 28)),
        "ReportCNN 28x28 (Fashion-MNIST)": (lambda: ReportCNN(1, 28), (1, 28, 28)),
        "ReportCNN 32x32 (CIFAR-10)": (lambda: ReportCNN(1, 32), (1, 32, 32)),
        "MLP on M=256 projections": (lambda: MLP(256), (256,)),
    }
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
    if args.profile:
        profile(dev)


if __name__ == "__main__":
    start_time = time.perf_counter()
    main()
    print(f"# {time.perf_counter() - start_time:.0f} s")
