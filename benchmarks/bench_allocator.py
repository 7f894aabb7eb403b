"""What tuning glibc's malloc (helpers.perf.tune_allocator) is worth on this CPU.

    python benchmarks/bench_allocator.py [--rounds 4] [--threads 2]

PyTorch's CPU tensors come from malloc. With glibc's defaults a block of
activations or gradients larger than the (dynamic) mmap threshold is mapped
afresh for every batch and unmapped when freed, so each batch pays one page
fault per 4 KiB touched. ``helpers.perf.tune_allocator()``, which a chapter
calls in one line after ``helpers.setup``, raises the thresholds so that such
blocks are reused. This script measures one training step and one inference
batch of the networks that the chapters train on the CPU, channels-last as
``helpers.train.fit`` runs them (ReportCNN at the Fashion-MNIST and CIFAR-10
shapes, TinyConvNet at widths 1 and 6), in two child processes, one tuned and
one with glibc's defaults (``LAAIC_TUNE_MALLOC=0``), alternated round after
round because this machine's speed drifts over minutes, and prints the median
images/s, the CPU time per training step, the page faults per training step
and per inference batch, and the speed-ups. The page faults are the steady signal (they do not depend on what
else the machine runs), the CPU time the next steadiest; images/s are as
noisy as the machine is busy. On a machine without glibc both columns
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


def measure(net, shape, batch, train_step):
    """Training images/s, page faults per training step and inference images/s of ``net``."""
    import torch

    x, y = torch.randn(batch, *shape), torch.randint(0, 10, (batch,))
    step = train_step(net, x, y, torch.device("cpu"))
    xi = torch.randn(256, *shape)
    for _ in range(3):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF)
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < 1.0 or n < 5:
        step()
        n += 1
    train = batch * n / (time.perf_counter() - t0)
    after = resource.getrusage(resource.RUSAGE_SELF)
    faults = (after.ru_minflt - before.ru_minflt) / n
    # CPU seconds (user + kernel, all threads): less swayed than wall time by other processes
    cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / n
    with torch.inference_mode():
        net.eval()
        net(xi)
        minflt, t0, k = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, time.perf_counter(), 0
        while time.perf_counter() - t0 < 0.5 or k < 3:
            net(xi)
            k += 1
        infer = 256 * k / (time.perf_counter() - t0)
        infer_faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - minflt) / k
    return {"train": train, "infer": infer, "faults": faults, "cpu_ms": 1e3 * cpu, "infer_faults": infer_faults}


def child(threads):
    """Measure every network once, channels-last as fit runs them; print one JSON line."""
    import torch

    from helpers.models import ReportCNN, TinyConvNet
    from helpers.perf import channels_last, tune_allocator

    tuned = tune_allocator()
    if threads:
        torch.set_num_threads(threads)
    sys.path.insert(0, str(Path(__file__).parent))
    from _common import train_step

    out = {"tuned": tuned}
    for name, make, shape, batch in (
        ("ReportCNN 28x28 (ch. 06, 07)", lambda: ReportCNN(1, 28), (1, 28, 28), 128),
        ("ReportCNN 32x32 (ch. 07)", lambda: ReportCNN(1, 32), (1, 32, 32), 128),
        ("TinyConvNet (ch. 04, 06)", TinyConvNet, (1, 28, 28), 64),
        ("TinyConvNet width 6 (ch. 08)", lambda: TinyConvNet(width=6), (1, 28, 28), 64),
    ):
        torch.manual_seed(0)
        net = make()
        with channels_last(net, "cpu"):
            out[name] = measure(net, shape, batch, train_step)
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
        ca = statistics.median(run[name]["cpu_ms"] for run in runs["tuned"])
        cb = statistics.median(run[name]["cpu_ms"] for run in runs["default"])
        row(name, "CPU ms per training step (user + kernel)", f"{ca:,.1f}", f"{cb:,.1f}", f"{cb / ca:.2f}x")
        for what, label in (("faults", "training step"), ("infer_faults", "inference batch")):
            fa = statistics.median(run[name][what] for run in runs["tuned"])
            fb = statistics.median(run[name][what] for run in runs["default"])
            row(name, f"page faults per {label}", f"{fa:,.0f}", f"{fb:,.0f}", "")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == CHILD:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        child(int(sys.argv[2]))
    else:
        start_time = time.perf_counter()
        main()
        print(f"# {time.perf_counter() - start_time:.0f} s")
