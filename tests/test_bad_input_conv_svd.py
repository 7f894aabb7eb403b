"""Bad input to every public function of ``helpers.conv_svd`` (see ``tests/badinput.py``)."""

import numpy as np
import pytest
import torch
from badinput import NAN, bad_cases, check_bad, check_good, good_cases, spec
from torch import nn

from helpers import conv_svd
from helpers.models import TinyConvNet


def _conv(*args, **kwargs) -> nn.Conv2d:
    torch.manual_seed(0)
    return nn.Conv2d(*args, **kwargs)


def _spoilt(value: float, part: str = "weight") -> nn.Conv2d:
    conv = _conv(2, 3, 3)
    with torch.no_grad():
        getattr(conv, part)[0] = value
    return conv


CONV = _conv(2, 3, 3)  # W is 3 x 18
X = torch.randn(2, 2, 5, 5, generator=torch.Generator().manual_seed(1))
SVD = conv_svd.layer_svd(CONV)
U, S, VT = SVD["U"], SVD["S"], SVD["Vt"]

# conv layers every function refuses: not a Conv2d, uninitialised, complex, NaN or infinite weights
BAD_CONV = [
    "conv",
    None,
    3,
    nn.Linear(2, 2),
    nn.ConvTranspose2d(2, 3, 3),
    nn.Conv1d(2, 3, 3),
    nn.LazyConv2d(3, 3),
    nn.Conv2d(2, 3, 3, dtype=torch.complex64),
    _spoilt(NAN),
    _spoilt(float("inf"), "bias"),
]
# ... and, for the patch analysis of the chapter "Every convolutional layer is an SVD", strides and padding
BAD_CONV_PATCHES = BAD_CONV + [
    _conv(2, 3, 3, stride=2),
    _conv(2, 3, 3, padding=1),
    _conv(2, 3, 3, dilation=2),
    _conv(2, 4, 3, groups=2),
]
# ... and, for the factorizations (any stride and zero padding), dilation, groups and other padding
BAD_CONV_FACTOR = BAD_CONV + [
    _conv(2, 3, 3, dilation=2),
    _conv(2, 4, 3, groups=2),
    _conv(2, 3, 3, padding="same"),
    _conv(2, 3, 3, padding=1, padding_mode="reflect"),
]
CONV_SAYS = ("conv must", "conv is", "conv has", "layer conv")

BAD_X = [
    "abc",
    None,
    np.ones((1, 2, 5, 5), dtype=np.float32),
    torch.ones(3),
    torch.ones(0, 2, 5, 5),
    torch.ones(1, 3, 5, 5),  # the layer takes 2 channels
    torch.ones(1, 2, 2, 2),  # smaller than the 3 x 3 kernel
    torch.ones(1, 2, 5, 5, dtype=torch.int64),
    torch.ones(1, 2, 5, 5, dtype=torch.complex64),
    torch.full((1, 2, 5, 5), NAN),
    torch.full((1, 2, 5, 5), float("inf")),
]
X_SAYS = ("x must", "x has", "x contains", "x is")

BAD_DTYPE = ["float64", None, 3, np.float64, torch.int64, torch.bool, torch.complex64]
BAD_SVD_DTYPE = BAD_DTYPE + [torch.float16]
BAD_DEVICE = ["nope", "gpu", "cuda:7", 3, True, 1.5]

BAD_MATRIX = [
    "abc",
    None,
    torch.ones(18),
    torch.ones(0, 18),
    torch.zeros(3, 17),  # C_in·kh·kw = 18 columns
    torch.full((3, 18), NAN),
    torch.ones(3, 18, dtype=torch.complex64),
]

BAD_SVD = [
    "svd",
    3,
    {},
    {"U": U, "S": S},
    {"U": "u", "S": S, "Vt": VT},
    conv_svd.layer_svd(_conv(2, 5, 3)),  # another layer's
    {"U": U, "S": S.flip(0), "Vt": VT},  # not in decreasing order
    {"U": U, "S": torch.full_like(S, NAN), "Vt": VT},
]

TINY = TinyConvNet().eval()
TX = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(2))
TSVDS = (conv_svd.layer_svd(TINY.conv1), conv_svd.layer_svd(TINY.conv2))


def _tiny(**change) -> TinyConvNet:
    """A TinyConvNet with some of its parts replaced."""
    model = TinyConvNet().eval()
    for name, module in change.items():
        setattr(model, name, module)
    return model


def _nan_tiny() -> TinyConvNet:
    model = TinyConvNet().eval()
    with torch.no_grad():
        model.conv2.weight[0, 0, 0, 0] = NAN
    return model


BAD_MODEL = [
    "model",
    None,
    3,
    nn.Linear(2, 2),
    nn.Sequential(),
    nn.Conv2d(1, 8, 3),
    _tiny(conv1=nn.Conv2d(1, 8, 3, stride=2)),  # the patch analysis takes stride 1
    _tiny(fc=nn.Conv2d(1, 8, 3)),  # fc must be a Linear
    _nan_tiny(),
]
BAD_TX = [
    "abc",
    None,
    torch.ones(1, 28, 28),
    torch.ones(0, 1, 28, 28),
    torch.ones(1, 3, 28, 28),  # TinyConvNet takes one channel
    torch.ones(1, 1, 27, 27),  # ... and 28 x 28 images
    torch.ones(1, 1, 28, 28, dtype=torch.int64),
    torch.full((1, 1, 28, 28), NAN),
]
BAD_SVDS = [
    "svds",
    None,
    (TSVDS[0],),
    (TSVDS[1], TSVDS[0]),  # swapped: layer 2's SVD does not fit conv1
    (TSVDS[0], {"U": 1}),
    [TSVDS[0], TSVDS[1], TSVDS[1]],
]

ERRORS = conv_svd.forward_pass_errors(TINY, TX, TSVDS, dtypes=(torch.float64,))
ROW = {"abs": 1e-16, "rel": 1e-17, "own": 0.0}

SPECS = [
    spec(conv_svd.check_conv, {"conv": CONV}, {"conv": BAD_CONV_PATCHES, "patches": "flag"}, says={"conv": CONV_SAYS}),
    spec(
        conv_svd.check_conv,
        {"conv": CONV, "patches": False},
        {"conv": BAD_CONV_FACTOR},
        says={"conv": CONV_SAYS},
    ),
    spec(
        conv_svd.weight_matrix,
        {"conv": CONV, "dtype": torch.float64, "patches": True, "device": None},
        {"conv": BAD_CONV_PATCHES, "dtype": BAD_DTYPE, "patches": "flag", "device": BAD_DEVICE},
        says={"conv": CONV_SAYS},
    ),
    spec(
        conv_svd.weight_from_matrix,
        {"matrix": VT, "conv": CONV},
        {"matrix": BAD_MATRIX, "conv": BAD_CONV},
        says={"conv": CONV_SAYS},
    ),
    spec(
        conv_svd.weight_svd,
        {"conv": CONV, "dtype": torch.float64, "patches": False, "device": "cpu"},
        {"conv": BAD_CONV_FACTOR, "dtype": BAD_SVD_DTYPE, "patches": "flag", "device": BAD_DEVICE},
        says={"conv": CONV_SAYS},
    ),
    spec(
        conv_svd.rank_k,
        {"u": U, "s": S, "vt": VT, "k": 2},
        {
            "u": ["abc", None, torch.ones(3), torch.ones(3, 2), torch.full((3, 3), NAN), U * 1j],
            "s": ["abc", None, torch.ones(3, 1), S.flip(0), -S, torch.full((3,), NAN), torch.ones(2)],
            "vt": ["abc", None, torch.ones(18), torch.ones(2, 18), torch.full((3, 18), float("inf"))],
            "k": "rank",
        },
        says={"u": ("u must", "u, s and vt", "u is", "u contains"), "k": "rank k"},
    ),
    spec(
        conv_svd.layer_svd,
        {"conv": CONV, "dtype": torch.float32},
        {"conv": BAD_CONV_PATCHES, "dtype": BAD_SVD_DTYPE},
        says={"conv": CONV_SAYS},
    ),
    spec(
        conv_svd.patches,
        {"x": X, "conv": CONV},
        {"x": BAD_X, "conv": BAD_CONV_PATCHES},
        says={"x": X_SAYS, "conv": CONV_SAYS},
    ),
    spec(
        conv_svd.analytical_conv,
        {"x": X, "conv": CONV, "svd": SVD, "relu": True, "return_coords": False},
        {"x": BAD_X, "conv": BAD_CONV_PATCHES, "svd": BAD_SVD, "relu": "flag", "return_coords": "flag"},
        says={"x": X_SAYS, "conv": CONV_SAYS},
    ),
    spec(
        conv_svd.analytical_tinyconvnet,
        {"model": TINY, "x": TX, "svds": TSVDS},
        {"model": BAD_MODEL, "x": BAD_TX, "svds": BAD_SVDS},
        says={"x": X_SAYS},
        skip={"svds": [None]},  # computed from the model when not given
    ),
    spec(
        conv_svd.relu_mask_counts,
        {"conv": CONV, "x": X, "sizes": [2, 10], "seed": 0},
        {
            "conv": BAD_CONV_PATCHES,
            "x": BAD_X,
            "sizes": [5, "12", None, [], [0], [-1], [2.5], [True], ["3"], [10**6], np.float64(3.0)],
            "seed": "seed",
        },
        says={"conv": CONV_SAYS, "x": X_SAYS, "sizes": ("sizes", "sample size")},
    ),
    spec(
        conv_svd.truncated_weight,
        {"conv": CONV, "k": 2, "dtype": torch.float32},
        {"conv": BAD_CONV_PATCHES, "k": "rank", "dtype": BAD_DTYPE},
        says={"conv": CONV_SAYS, "k": "rank k"},
    ),
    spec(conv_svd.eigenfilters, {"conv": CONV}, {"conv": BAD_CONV_PATCHES}, says={"conv": CONV_SAYS}),
    spec(
        conv_svd.forward_pass_errors,
        {"model": TINY, "x": TX, "svds": TSVDS, "dtypes": (torch.float32,)},
        {
            "model": BAD_MODEL,
            "x": BAD_TX,
            "svds": BAD_SVDS + [({k: v for k, v in TSVDS[0].items() if k != "W"}, TSVDS[1])],
            "dtypes": [torch.float32, "float32", "abc", None, 3, [], (torch.float16,), [np.float32], (torch.int64,)],
        },
        says={"x": X_SAYS},
    ),
    spec(
        conv_svd.forward_pass_table,
        {"errors": ERRORS},
        {
            "errors": [
                "errors",
                None,
                {},
                {"weights": {}},
                {"outputs": {}},
                {"outputs": [("logits", "64")]},
                {"outputs": {"logits": ROW}},
                {"outputs": {("logits", "64"): {"abs": 1.0}}},
                {"outputs": {("logits", "64"): dict(ROW, abs="1e-16")}},
                {"outputs": {("logits", "64"): dict(ROW, rel=NAN)}},
                {"outputs": {("logits", "64"): dict(ROW, own=-1.0)}},
                {"outputs": {("logits", "64"): dict(ROW, own=True)}},
            ]
        },
    ),
]


# the layer as an operator on whole images (FFT route, dense check, Lanczos, Jacobians)
BAD_KERNEL = [
    "w",
    None,
    torch.ones(3, 3),  # not 4-D
    torch.ones(0, 2, 3, 3),
    torch.full((3, 2, 3, 3), NAN),
    torch.ones(3, 2, 3, 3, dtype=torch.complex64),
    nn.Linear(2, 2),
    _conv(2, 3, 3, stride=2),  # the FFT route needs stride 1
    _conv(2, 4, 3, groups=2),
]
BAD_N = [True, 0, -1, 2, 2.5, "6", None]  # 2 is smaller than the 3 x 3 kernel
SPECS += [
    spec(
        conv_svd.operator_singular_values,
        {"weight": CONV, "n": 6},
        {"weight": BAD_KERNEL, "n": BAD_N},
        says={"weight": ("weight",), "n": ("image size",)},
    ),
    spec(
        conv_svd.circular_conv_matrix,
        {"weight": CONV.weight, "n": 4},
        {"weight": BAD_KERNEL, "n": BAD_N},
        says={"weight": ("weight",), "n": ("image size",)},
        extra=[("n", 200)],
    ),
    spec(
        conv_svd.operator_norm,
        {"conv": CONV, "input_shape": (2, 6, 6), "tol": 1e-8},
        {
            "conv": BAD_CONV,
            "input_shape": ["2,6,6", None, (2, 6), (3, 6, 6), (2, 2, 2), (2, 0, 6), (2, 6.5, 6)],
            "tol": [True, 0, -1e-3, 0.5, NAN, "1e-8", None],
        },
        says={"conv": CONV_SAYS},
    ),
    spec(
        conv_svd.jacobian_norms,
        {"model": TINY, "x": TX},
        {
            "model": "module",
            "x": [
                "abc",
                None,
                torch.ones(3),
                torch.ones(0, 1, 28, 28),
                torch.full((1, 1, 28, 28), NAN),
                torch.ones(1, 3, 28, 28),
                torch.ones(1, 1, 32, 32),
            ],
        },
        says={"x": ("x must", "x is", "x contains", "input x", "x has")},
    ),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


# ------------------------------------------------------------------ regressions for real bugs


def test_complex_weights_are_refused_not_truncated():
    # .to(torch.float64) used to drop the imaginary part with only a warning
    conv = nn.Conv2d(1, 2, 2, dtype=torch.complex64)
    with pytest.raises(TypeError, match="conv has torch.complex64 weights"):
        conv_svd.layer_svd(conv)
    with pytest.raises(TypeError, match="complex"):
        conv_svd.weight_matrix(conv, patches=False)


def test_fractional_sample_sizes_are_refused_not_truncated():
    # int(2.5) == 2 and int(True) == 1 used to be counted silently
    with pytest.raises(TypeError, match="each sample size in sizes must be an integer, got 2.5"):
        conv_svd.relu_mask_counts(CONV, X, [2.5])
    with pytest.raises(TypeError, match="got True"):
        conv_svd.relu_mask_counts(CONV, X, [True])
    assert conv_svd.relu_mask_counts(CONV, X, np.array([2, 10])) == conv_svd.relu_mask_counts(CONV, X, [2, 10])
    assert conv_svd.relu_mask_counts(CONV, X, [np.int64(2)], seed=np.int64(3)) == [
        conv_svd.relu_mask_counts(CONV, X, [2], seed=3)[0]
    ]


def test_nan_images_are_refused_not_counted():
    # NaN > 0 is False: NaN patches used to count as the all-off ReLU mask
    x = X.clone()
    x[0, 0, 0, 0] = NAN
    with pytest.raises(ValueError, match="x contains NaN"):
        conv_svd.relu_mask_counts(CONV, x, [5])
    with pytest.raises(ValueError, match="x contains NaN"):
        conv_svd.analytical_conv(x, CONV)


def test_rank_zero_and_mismatched_factors_are_refused():
    # rank_k(u, s, vt, 0) used to return an all-zero matrix; a rank above len(s) returned W itself
    with pytest.raises(ValueError, match="rank k must be an integer from 1 to 3"):
        conv_svd.rank_k(U, S, VT, 0)
    with pytest.raises(ValueError, match="rank k must be an integer from 1 to 3"):
        conv_svd.rank_k(U, S, VT, 4)
    assert torch.allclose(conv_svd.rank_k(U.float(), S, VT, 3), SVD["W"], atol=1e-6)  # dtypes are promoted


def test_an_svd_of_another_layer_is_refused():
    # layer 2's factors with layer 1 used to fail deep inside a matmul, or give a wrong output
    with pytest.raises(ValueError, match="svd does not belong to this layer"):
        conv_svd.analytical_conv(X, CONV, conv_svd.layer_svd(_conv(2, 5, 3)))
    with pytest.raises(ValueError, match=r"svds\[0\] does not belong to this layer"):
        conv_svd.analytical_tinyconvnet(TINY, TX, TSVDS[::-1])


def test_an_all_zero_layer_has_no_rank_k_approximation():
    conv = _conv(2, 3, 3)
    with torch.no_grad():
        conv.weight.zero_()
    with pytest.raises(ValueError, match="all zero"):
        conv_svd.truncated_weight(conv, 1)


def test_valid_calls_of_the_chapter_still_work():
    # chapter "Every convolutional layer is an SVD": float64 images through a float32 layer
    p = conv_svd.patches(TX.double(), TINY.conv1)
    assert p.shape == (2, 9, 26 * 26) and p.dtype == torch.float64
    y = conv_svd.analytical_conv(TX.double(), TINY.conv1, TSVDS[0], relu=True)
    assert y.shape == (2, 8, 26, 26)
    assert conv_svd.relu_mask_counts(TINY.conv1, TX.double(), [100, 1000], seed=0)[0] <= 100
    assert conv_svd.eigenfilters(TINY.conv1).shape == (8, 1, 3, 3)
    assert conv_svd.forward_pass_table(ERRORS).count("\n") == 3
    # a truncated SVD (fewer components) is still an SVD of the layer
    short = {"U": U[:, :2], "S": S[:2], "Vt": VT[:2]}
    assert conv_svd.analytical_conv(X.double(), CONV, short).shape == (2, 3, 3, 3)
