"""What tuning glibc's malloc (helpers.config.tune_allocator) is worth on this CPU.

    python benchmarks/bench_allocator.py [--rounds 4] [--threads 2]

PyTorch's CPU tensors come from malloc. With glibc's defaults a block of
activations or gradients larger than the (dynamic) mmap threshold is mapped
afresh for every batch and unmapped when freed, so each batch pays one page
fault per 4 KiB touched. ``helpers.setup`` raises the thresholds so that such
blocks are reused. This script measures one training step and one inference
batch of ReportCNN (Fashion-MNIST and CIFAR-10 shapes) and TinyConvNet in two
child processes, one tuned and one with glibc's defaults
(``LAAIC_TUNE_MALLOC=0``), alternated round after round because this
machine's speed drifts over minutes, and prints the median images/s, the page
faults per step and the speed-up. On a machine without glibc both columns
are the default allocator.
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _common import parser, row, start

CHILD = "--child"


def child(threads):
    """Measure every network once; print one JSON line."""
    import torch

    from helpers.config import tune_allocator
    from helpers.models import ReportCNN, TinyConvNet

    tuned = tune_allocator()
    if threads:
        torch.set_num_threads(threads)
    sys.path.insert(0, str(Path(__file__).parent))
    from _common import train_step

    dev = torch.device("cpu")
    out = {"tuned": tuned}
    for name, make, shape, batch in (
        ("ReportCNN 28x28", lambda: ReportCNN(1, 28), (1, 28, 28), 128),
        ("ReportCNN 32x32", lambda: ReportCNN(1, 32), (1, 32, 32), 128),
        ("TinyConvNet", TinyConvNet, (1, 28, 28), 64),
    ):
        torch.manual_seed(0)
        net = make()
        x, y = torch.randn(batch, *shape), torch.randint(0, 10, (batch,))
        step = train_step(net, x, y, dev)
        xi = torch.randn(256, *shape)
        for _ in range(3):
            step()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        t0, n = time.perf_counter(), 0
        while time.perf_counter() - t0 < 1.0 or n < 5:
            step()
            n += 1
        train = batch * n / (time.perf_counter() - t0)
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / n
        with torch.inference_mode():
            net.eval()
            net(xi)
            t0, k = time.perf_counter(), 0
            while time.perf_counter() - t0 < 0.5 or k < 3:
                net(xi)
                k += 1
            infer = 256 * k / (time.perf_counter() - t0)
        out[name] = {"train": train, "infer": infer, "faults": faults}
    print(json.dumps(out))


def main():
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=4, help="alternating rounds per allocator setting")
    args = p.parse_args()
    dev = start(args)
    if dev.type != "cpu":
        print("# the allocator matters for CPU tensors only; measuring on the CPU")
    runs = {"tuned": [], "default": []}
    for r in range(args.rounds):
        order = ("tuned", "default") if r % 2 == 0 else ("default", "tuned")
        for setting in order:
            env = dict(os.environ, LAAIC_TUNE_MALLOC="1" if setting == "tuned" else "0")
            cmd = [sys.executable, __file__, CHILD, str(args.threads or 0)]
            res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            runs[setting].append(json.loads(res.stdout.strip().splitlines()[-1]))
    if not runs["tuned"][0]["tuned"]:
        print("# this C library cannot be tuned (not glibc): both settings are the default allocator")
    row("network", "what", "tuned", "glibc default", "speed-up")
    for name in [k for k in runs["tuned"][0] if k != "tuned"]:
        for what, label in (
            ("train", "train img/s (batch 128; TinyConvNet 64)"),
            ("infer", "inference img/s (batch 256)"),
        ):
            a = statistics.median(run[name][what] for run in runs["tuned"])
            b = statistics.median(run[name][what] for run in runs["default"])
            row(name, label, f"{a:,.0f}", f"{b:,.0f}", f"{a / b:.2f}x")
        fa = statistics.median(run[name]["faults"] for run in runs["tuned"])
        fb = statistics.median(run[name]["faults"] for run in runs["default"])
        row(name, "page faults per training step", f"{fa:,.0f}", f"{fb:,.0f}", "")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == CHILD:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        child(int(sys.argv[2]))
    else:
        start_time = time.perf_counter()
        main()
        print(f"# {time.perf_counter() - start_time:.0f} s")
