"""Direct against FFT convolution (chapter 03): where the FFT starts to win.

    python benchmarks/bench_fft.py

Times PyTorch's direct circular convolution against the FFT route for one
128 x 128 image and square kernels of growing size, and prints the smallest
kernel at which the FFT is faster.
"""

import torch
from _common import parser, row, start

from helpers.bench import paired_times


def main():
    args = parser(__doc__.splitlines()[0]).parse_args()
    start(args)
    n = 128
    img = torch.randn(1, 1, n, n)
    crossover = None
    row("kernel", "direct (ms)", "FFT (ms)")
    for k in (3, 5, 7, 9, 13, 17, 25, 33):
        w = torch.randn(1, 1, k, k)
        pad = k // 2

        def direct():
            torch.nn.functional.conv2d(torch.nn.functional.pad(img, (pad,) * 4, mode="circular"), w)

        def viafft():
            kernel = torch.zeros(n, n)
            kernel[:k, :k] = w[0, 0].flip(0).flip(1)
            kernel = torch.roll(kernel, shifts=(-pad, -pad), dims=(0, 1))
            torch.fft.irfft2(torch.fft.rfft2(img[0, 0]) * torch.fft.rfft2(kernel), s=(n, n))

        a = torch.nn.functional.conv2d(torch.nn.functional.pad(img, (pad,) * 4, mode="circular"), w)[0, 0]
        kernel = torch.zeros(n, n)
        kernel[:k, :k] = w[0, 0].flip(0).flip(1)
        kernel = torch.roll(kernel, shifts=(-pad, -pad), dims=(0, 1))
        b = torch.fft.irfft2(torch.fft.rfft2(img[0, 0]) * torch.fft.rfft2(kernel), s=(n, n))
        assert torch.allclose(a, b, atol=1e-3), f"the two routes disagree at kernel {k}"
        t = paired_times({"direct": direct, "fft": viafft}, rounds=5, min_time=0.05)
        row(k, f"{1e3 * t['direct']:.3f}", f"{1e3 * t['fft']:.3f}")
        if crossover is None and t["fft"] < t["direct"]:
            crossover = k
    print(f"# FFT faster from kernel size {crossover} on at {n}x{n}" if crossover else "# direct faster throughout")


if __name__ == "__main__":
    main()
