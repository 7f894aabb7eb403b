"""Shared bits of the benchmark scripts: argument parsing and the machine line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from helpers.bench import machine_description  # noqa: E402
from helpers.config import get_device  # noqa: E402
from helpers.perf import tune_allocator  # noqa: E402


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    return p


def start(args) -> torch.device:
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    dev = get_device(args.device)
    # as the chapters that train or time networks do (LAAIC_TUNE_MALLOC=0 turns it off)
    malloc = "tuned" if tune_allocator() else "default"
    print(f"# {machine_description()}; device {dev}; malloc {malloc}")
    return dev


def row(*cells) -> None:
    print(" | ".join(str(c) for c in cells))


def train_step(net, x, y, dev):
    """One Adam step of cross-entropy on (x, y) as a callable, synchronised on CUDA."""
    opt = torch.optim.Adam(net.parameters(), 1e-3)

    def step():
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()

    return step
