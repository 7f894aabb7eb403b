"""Bad input to every public function of ``helpers.lowrank`` (see ``tests/badinput.py``).

Tiny layers and models throughout: ``nn.Conv2d(2, 3, 3)``, a TinyConvNet on four
28 x 28 images, and a ReportCNN only where a ``.features`` Sequential is needed.
"""

import numpy as np
import pytest
import torch
from badinput import INF, NAN, bad_cases, check_bad, check_good, good_cases, spec
from torch import nn

from helpers import lowrank
from helpers.models import ReportCNN, TinyConvNet


@pytest.fixture(autouse=True)
def no_grad():
    with torch.no_grad():
        yield


def _conv(*args, **kwargs) -> nn.Conv2d:
    torch.manual_seed(0)
    return nn.Conv2d(*args, **kwargs)


def _spoilt(value: float, part: str = "weight") -> nn.Conv2d:
    conv = _conv(2, 3, 3)
    with torch.no_grad():
        getattr(conv, part)[0] = value
    return conv


def _zero() -> nn.Conv2d:
    conv = _conv(2, 3, 3, bias=False)
    with torch.no_grad():
        conv.weight.zero_()
    return conv


CONV = _conv(2, 3, 3)  # W is 3 x 18: full rank 3; separable arrangement 6 x 9
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
    _spoilt(INF, "bias"),
    _conv(2, 3, 3, dilation=2),
    _conv(2, 4, 3, groups=2),
    _conv(2, 3, 3, padding="same"),
    _conv(2, 3, 3, padding=1, padding_mode="reflect"),
]
CONV_SAYS = ("conv must", "conv is", "conv has", "layer conv", "conv's")

GEN = torch.Generator().manual_seed(0)
X = torch.randn(4, 1, 28, 28, generator=GEN)
Y = torch.randint(0, 10, (4,), generator=GEN)
DATA = (X, Y)
BATCHES = {1: X[:1], 256: X}
SHAPE = (1, 28, 28)
FAST = {"threads": 1, "rounds": 1, "min_time": 1e-4}
TINY = TinyConvNet().eval()  # conv1: 8 x 9 (rank 8), conv2: 16 x 72 (rank 16)

BAD_MODEL = ["model", None, 3, np.ones(3), nn.Sequential(nn.Linear(2, 2))]


def _nan_tiny() -> TinyConvNet:
    model = TinyConvNet().eval()
    with torch.no_grad():
        model.conv2.weight[0, 0, 0, 0] = NAN
    return model


def _grouped_tiny() -> TinyConvNet:
    model = TinyConvNet().eval()
    model.conv2 = nn.Conv2d(8, 16, 3, groups=2, bias=False)
    return model


# models whose conv layers the factorizations cannot take: refused with the layer named
BAD_LAYERS_MODEL = [_nan_tiny(), _grouped_tiny()]
BAD_SHAPE = [None, "1,28,28", 28, (1, 28), (0, 28, 28), (1, 28.0, 28), (True, 28, 28), (3, 28, 28), (1, 20, 20)]
BAD_LAYERS = ["conv1", 3, None, [], ["conv9"], ["conv1", "conv1"], [3], {"conv1": 1}, ["fc"]]
BAD_DATA = [
    "data",
    None,
    (X,),
    (X, Y[:2]),  # 4 images, 2 labels
    (X, Y.float() + 0.5),  # labels that are not class indices
    (X.numpy(), Y.numpy()),
]
BAD_DATA_SHAPED = BAD_DATA + [(X[:, :, :20, :20], Y)]  # not input_shape
BAD_INPUTS = [
    "abc",
    None,
    X.numpy(),
    torch.ones(3),
    torch.ones(0, 1, 28, 28),
    torch.ones(2, 3, 28, 28),
    torch.ones(2, 1, 20, 20),
    X.long(),
    X.double(),  # the network is float32
    torch.full((2, 1, 28, 28), NAN),
]
BAD_BATCHES = [
    None,
    "batches",
    X,
    {1: X[:1]},
    {"1": X[:1], "256": X},
    {1: X[:1], 256: "x"},
    {1: X[:1], 256: X[:, :, :20, :20]},
    {1: X[:1], 256: X.double()},
    {1: X[:1], 256: torch.full_like(X, NAN)},
]
BAD_THREADS = [0, -1, 2.5, True, "2"]
TIMING_KINDS = {"threads": BAD_THREADS, "rounds": "pos_int", "min_time": "positive"}
TIMING_EXTRA = [("min_time", 1e5), ("repeats", 3)]  # over an hour a timing; a setting the timings do not take
BAD_DEVICE = ["nope", "gpu", "cuda:7", 3, True]

M = {"net": TINY, "acc": 0.9, "macs": 0.5, "params": 0.5, "t1": 1.1, "t256": 1.5, "t256_low": 1.2, "t256_high": 1.8}
RANKS = {"conv1": 2, "conv2": 4}

REPORT = ReportCNN(1, 28).eval()
SMALL = lowrank.compress(REPORT, {"conv2": 4}).eval()
STEPS = list(REPORT.features._modules)
TIMES = {
    "baseline": dict.fromkeys(STEPS, 1e-3),
    "candidate": dict.fromkeys(STEPS, 5e-4),
    "one_call": {"baseline": 1e-2, "candidate": 6e-3},
}


def _times(**change):
    return {**TIMES, **change}


SPECS = [
    spec(lowrank.check_factorizable, {"conv": CONV}, {"conv": BAD_CONV}, says={"conv": CONV_SAYS}),
    spec(lowrank.conv_layers, {"model": TINY}, {"model": BAD_MODEL}),
    spec(lowrank.singular_values, {"conv": CONV}, {"conv": BAD_CONV}, says={"conv": CONV_SAYS}),
    spec(lowrank.relative_errors, {"conv": CONV}, {"conv": BAD_CONV + [_zero()]}, says={"conv": CONV_SAYS}),
    spec(
        lowrank.truncate_conv,
        {"conv": CONV, "k": 2},
        {"conv": BAD_CONV, "k": "rank"},
        says={"conv": CONV_SAYS, "k": "rank k"},
        extra=[("k", 4)],
    ),
    spec(
        lowrank.factorize_conv,
        {"conv": CONV, "k": 2},
        {"conv": BAD_CONV, "k": "rank"},
        says={"conv": CONV_SAYS, "k": "rank k"},
        extra=[("k", 4)],
    ),
    spec(
        lowrank.separable_conv,
        {"conv": CONV, "k": 2},
        {"conv": BAD_CONV, "k": "rank"},
        says={"conv": CONV_SAYS, "k": "rank k"},
        extra=[("k", 7)],
    ),
    spec(
        lowrank.factorized_counts,
        {"conv": CONV, "k": 2, "positions": 9},
        {"conv": BAD_CONV, "k": "rank", "positions": "pos_int"},
        says={"conv": CONV_SAYS, "k": "rank k"},
    ),
    spec(
        lowrank.compress,
        {"model": TINY, "ranks": RANKS, "scheme": "svd"},
        {
            "model": BAD_MODEL,
            "ranks": [
                None,
                "ranks",
                [("conv1", 2)],
                {"conv9": 2},
                {3: 2},
                {"conv1": 0},
                {"conv1": 9},
                {"conv1": 2.5},
                {"conv1": True},
                {"conv1": "2"},
                {"conv1": None},
            ],
            "scheme": "name",
        },
        says={"ranks": ("ranks", "rank k")},
        extra=[("scheme", "SVD")] + [("model", m) for m in BAD_LAYERS_MODEL],
    ),
    spec(
        lowrank.compress,
        {"model": TINY, "ranks": {"conv2": 4}, "scheme": "separable"},
        {"ranks": [{"conv2": 25}]},  # the separable arrangement of conv2 is 24 x 48
        says={"ranks": ("ranks", "rank k")},
    ),
    spec(
        lowrank.ranks_for_energy,
        {"model": TINY, "threshold": 0.9},
        {"model": BAD_MODEL + BAD_LAYERS_MODEL[:1], "threshold": "fraction"},
    ),
    spec(
        lowrank.ranks_for_budget,
        {"model": TINY, "input_shape": SHAPE, "fraction": 0.5, "layers": ["conv2"]},
        {"model": BAD_MODEL + BAD_LAYERS_MODEL, "input_shape": BAD_SHAPE, "fraction": "fraction", "layers": BAD_LAYERS},
        skip={"layers": [None]},  # all conv layers
    ),
    spec(
        lowrank.output_positions,
        {"model": TINY, "input_shape": SHAPE},
        {"model": BAD_MODEL, "input_shape": BAD_SHAPE},
    ),
    spec(lowrank.breakeven_rank, {"conv": CONV}, {"conv": BAD_CONV}, says={"conv": CONV_SAYS}),
    spec(lowrank.eckart_young_curves, {"conv": CONV}, {"conv": BAD_CONV + [_zero()]}, says={"conv": CONV_SAYS}),
    spec(
        lowrank.factorization_errors,
        {"conv": _conv(2, 3, 3, bias=False), "inputs": torch.randn(2, 2, 5, 5, generator=GEN)},
        {
            "conv": BAD_CONV,
            "inputs": [
                "abc",
                None,
                np.ones((1, 2, 5, 5), dtype=np.float32),
                torch.ones(3),
                torch.ones(0, 2, 5, 5),
                torch.ones(1, 3, 5, 5),
                torch.ones(1, 2, 2, 2),
                torch.ones(1, 2, 5, 5, dtype=torch.int64),
                torch.ones(1, 2, 5, 5, dtype=torch.complex64),
                torch.ones(1, 2, 5, 5, dtype=torch.float64),
                torch.full((1, 2, 5, 5), NAN),
                torch.zeros(1, 2, 5, 5),  # the output is zero: no relative error
            ],
        },
        says={"conv": CONV_SAYS},
    ),
    spec(
        lowrank.accuracy_grid,
        {"model": TINY, "data": DATA, "ranks": {"conv1": [2], "conv2": [4]}, "scheme": "truncate"},
        {
            "model": BAD_MODEL,
            "data": BAD_DATA,
            "ranks": [
                None,
                "ranks",
                {"conv1": [1]},
                {"conv1": [1], "conv9": [1]},
                {"conv1": [0], "conv2": [1]},
                {"conv1": [9], "conv2": [1]},
                {"conv1": 3, "conv2": [1]},
                {"conv1": "12", "conv2": [1]},
                {"conv1": [], "conv2": [1]},
                {"conv1": [2.5], "conv2": [1]},
                {"conv1": [True], "conv2": [1]},
            ],
            "scheme": "name",
        },
        says={"ranks": ("ranks", "rank k")},
    ),
    spec(
        lowrank.full_ranks,
        {"model": TINY, "layers": ["conv1"]},
        {"model": BAD_MODEL, "layers": BAD_LAYERS},
        skip={"layers": [None]},
    ),
    spec(
        lowrank.ranks_at_fraction,
        {"model": TINY, "fraction": 0.25, "layers": ["conv2"]},
        {"model": BAD_MODEL, "fraction": "fraction", "layers": BAD_LAYERS},
        skip={"layers": [None]},
    ),
    spec(
        lowrank.separable_ranks,
        {"model": TINY, "ranks": {"conv2": 30}},
        {
            "model": BAD_MODEL,
            "ranks": [None, "ranks", {"conv9": 2}, {"conv2": 0}, {"conv2": 2.5}, {"conv2": True}, {3: 1}],
        },
        says={"ranks": ("ranks", "rank k")},
    ),
    spec(
        lowrank.measure,
        {
            "net": lowrank.compress(TINY, {"conv2": 4}),
            "baseline": TINY,
            "data": DATA,
            "batches": BATCHES,
            "input_shape": SHAPE,
        }
        | FAST,
        {
            "net": BAD_MODEL[:4],
            "baseline": BAD_MODEL[:4],
            "data": BAD_DATA_SHAPED,
            "batches": BAD_BATCHES,
            "input_shape": BAD_SHAPE,
        }
        | TIMING_KINDS,
        says={"batches": ("batches", "batch")},
        extra=TIMING_EXTRA,
    ),
    spec(
        lowrank.layer_sweep,
        {"model": TINY, "grid": {"conv2": [4]}, "data": DATA, "inputs": X, "input_shape": SHAPE} | FAST,
        {
            "model": BAD_MODEL,
            "grid": [None, "grid", [("conv2", [4])], {"conv9": [1]}, {"conv2": [0]}, {"conv2": [17]}, {"conv2": 4}]
            + [{"conv2": []}, {3: [1]}, {"conv2": [2.5]}],
            "data": BAD_DATA_SHAPED,
            "inputs": BAD_INPUTS,
            "input_shape": BAD_SHAPE,
        }
        | TIMING_KINDS,
        says={"grid": ("grid", "rank k")},
        extra=TIMING_EXTRA,
    ),
    spec(
        lowrank.step_times,
        {"baseline": REPORT, "candidate": SMALL, "inputs": X[:2]} | FAST,
        {
            "baseline": BAD_MODEL[:4] + [TinyConvNet()],
            "candidate": BAD_MODEL[:4] + [TinyConvNet(), ReportCNN(1, 28, padding="last")[:4]],
            "inputs": BAD_INPUTS,
        }
        | TIMING_KINDS,
        says={"candidate": ("candidate",)},
        extra=TIMING_EXTRA,
    ),
    spec(
        lowrank.step_table,
        {"times": TIMES, "model": REPORT, "ranks": {"conv2": 4}, "input_shape": SHAPE, "label": "f = 1/8"},
        {
            "times": [
                None,
                "times",
                {},
                {"baseline": TIMES["baseline"]},
                _times(baseline={}),
                _times(candidate=dict.fromkeys(STEPS[:3], 1e-3)),
                _times(baseline=dict(TIMES["baseline"], conv1=-1.0)),
                _times(baseline=dict(TIMES["baseline"], conv1=0.0)),
                _times(candidate=dict(TIMES["candidate"], conv2=NAN)),
                _times(candidate=dict(TIMES["candidate"], conv2="1 ms")),
                _times(one_call={"baseline": 1e-2}),
            ],
            "model": BAD_MODEL,
            "ranks": [None, "ranks", {"conv9": 2}, {"conv2": 0}, {"conv2": 10**6}, {"conv2": 2.5}],
            "input_shape": BAD_SHAPE,
            "label": [None, 3, "", True],
        },
        says={"ranks": ("ranks", "rank k")},
    ),
    spec(
        lowrank.finetune,
        lambda: {"net": TinyConvNet(), "data": DATA, "epochs": 1, "device": "cpu", "seed": 0},
        {"net": BAD_MODEL[:4], "data": BAD_DATA, "epochs": "pos_int", "device": BAD_DEVICE, "seed": "seed"},
    ),
    spec(
        lowrank.scheme_sweep,
        lambda: (
            {
                "model": TINY,
                "fractions": [0.5],
                "layers": ["conv2"],
                "svd": {0.5: M},
                "finetune_fractions": [],
                "finetune_data": DATA,
                "finetune_epochs": 1,
                "device": "cpu",
                "seed": 0,
                "data": DATA,
                "batches": BATCHES,
                "input_shape": SHAPE,
            }
            | FAST
        ),
        {
            "model": BAD_MODEL,
            "fractions": [None, "f", 0.5, [], [0], [1.5], [NAN], [True]],
            "layers": BAD_LAYERS,
            "svd": [None, "svd", [0.5], {0.25: M}],
            "finetune_fractions": [None, 0.5, [0.25], [0], [NAN], [True]],
            "finetune_data": BAD_DATA,
            "finetune_epochs": "pos_int",
            "device": BAD_DEVICE,
            "seed": "seed",
            "data": BAD_DATA_SHAPED,
            "batches": BAD_BATCHES,
            "input_shape": BAD_SHAPE,
        }
        | TIMING_KINDS,
        says={"fractions": ("fractions",), "batches": ("batches", "batch")},
        extra=TIMING_EXTRA,
    ),
    spec(
        lowrank.fastest_within,
        {"results": {0.5: M}, "base": 0.9, "max_drop": 1.0, "report": DATA, "base_report": 0.9},
        {
            "results": [None, "results", [M], {0.5: {}}, {0.5: dict(M, acc=1.5)}, {0.5: dict(M, acc=NAN)}],
            "base": "prob",
            "max_drop": "nonneg",
            "report": BAD_DATA,
            "base_report": "prob",
        },
        extra=[("base", 90.0), ("base_report", 85.5), ("max_drop", 150.0)],  # percentages where fractions are meant
    ),
    spec(
        lowrank.worth_factorizing,
        {"model": TINY, "ranks": RANKS},
        {
            "model": BAD_MODEL,
            "ranks": [None, "ranks", {"conv9": 2}, {"conv1": 0}, {"conv1": 9}, {"conv1": 2.5}, {"conv1": True}],
        },
        says={"ranks": ("ranks", "rank k")},
    ),
    spec(
        lowrank.rank_rules,
        {"model": TINY, "input_shape": SHAPE, "energy": [0.9], "budget": [], "layers": ["conv2"]},
        {
            "model": BAD_MODEL,
            "input_shape": BAD_SHAPE,
            "energy": [None, 0.9, "0.9", [], [0], [1.5], [NAN], [True]],
            "budget": [None, 0.5, "0.5", [0], [1.5], [NAN], [True]],
            "layers": BAD_LAYERS,
        },
    ),
    spec(
        lowrank.rule_table,
        {"choices": {"energy ≥ 0.9": (RANKS, M)}, "model": TINY, "layers": ["conv1", "conv2"], "report": DATA}
        | {"base_report": 0.9},
        {
            "choices": [
                None,
                "choices",
                {},
                {"r": (RANKS,)},
                {"r": M},
                {"r": ({"conv1": 2}, M)},  # no rank for conv2
                {"r": ({"conv1": 0, "conv2": 4}, M)},
                {"r": ({"conv1": 2.5, "conv2": 4}, M)},
                {"r": (RANKS, {})},
            ],
            "model": BAD_MODEL,
            "layers": BAD_LAYERS,
            "report": BAD_DATA,
            "base_report": "prob",
        },
        says={"choices": ("choices",)},
        extra=[("base_report", 90.0)],
    ),
    spec(
        lowrank.layer_costs,
        {"model": TINY, "input_shape": SHAPE},
        {"model": BAD_MODEL + BAD_LAYERS_MODEL[1:], "input_shape": BAD_SHAPE},
    ),
]


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


@pytest.mark.parametrize("s", good_cases(SPECS))
def test_numpy_scalars_are_accepted(s):
    check_good(s)


# ------------------------------------------------------------------ regressions for real bugs


def test_numpy_fractions_are_accepted():
    # np.float32(0.9) is no Python float: ranks_for_energy, ranks_for_budget and ranks_at_fraction refused it
    assert lowrank.ranks_for_energy(TINY, np.float32(0.9)) == lowrank.ranks_for_energy(TINY, 0.9)
    assert lowrank.ranks_at_fraction(TINY, np.float32(0.25)) == lowrank.ranks_at_fraction(TINY, 0.25)
    assert lowrank.ranks_for_budget(TINY, SHAPE, np.float32(0.5)) == lowrank.ranks_for_budget(TINY, SHAPE, 0.5)


def test_a_rank_above_the_full_rank_is_refused_with_the_layer_named():
    with pytest.raises(ValueError, match=r"from 1 to 8, the full rank of conv1's 8 x 9 weight matrix \(in ranks\)"):
        lowrank.compress(TINY, {"conv1": 9})
    with pytest.raises(ValueError, match=r"from 1 to 8, the full rank of conv1's 8 x 9 weight matrix"):
        lowrank.worth_factorizing(TINY, {"conv1": 9})  # used to be kept silently (9 > the break-even rank)


def test_a_layer_the_factorization_cannot_take_is_named():
    with pytest.raises(ValueError, match="the model's layer 'conv2': conv has NaN or infinite weights"):
        lowrank.ranks_for_energy(_nan_tiny(), 0.9)
    with pytest.raises(ValueError, match="the model's layer 'conv2': the low-rank factorization covers"):
        lowrank.compress(_grouped_tiny(), {"conv2": 2})


def test_zero_weights_give_no_relative_errors():
    # ‖W‖ = 0 used to give an array of NaN
    with pytest.raises(ValueError, match="all zero"):
        lowrank.relative_errors(_zero())


def test_all_zero_inputs_give_no_relative_error():
    # the relative error divided by max|W_k x| = 0 used to raise ZeroDivisionError
    with pytest.raises(ValueError, match="pass inputs that are not all zero"):
        lowrank.factorization_errors(_conv(2, 3, 3, bias=False), torch.zeros(1, 2, 5, 5))


def test_bad_timing_settings_fail_before_any_work():
    with pytest.raises(TypeError, match=r"threads \(CPU threads for the timings\) must be an integer, got 2.5"):
        lowrank.measure(TINY, TINY, data=DATA, batches=BATCHES, input_shape=SHAPE, threads=2.5)
    with pytest.raises(ValueError, match=r"min_time \(seconds per timing\) must be in \(0, 3600\]"):
        lowrank.layer_sweep(TINY, {"conv2": [4]}, data=DATA, inputs=X, input_shape=SHAPE, min_time=0)
    with pytest.raises(TypeError, match="unknown timing settings"):
        lowrank.step_times(REPORT, SMALL, X[:1], repeats=3)


def test_a_string_of_layer_names_is_refused_not_split_into_letters():
    # list("conv2") == ['c', 'o', 'n', 'v', '2']
    with pytest.raises(TypeError, match=r"layers must be a list of conv layer names such as \['conv2'\]"):
        lowrank.ranks_at_fraction(TINY, 0.5, "conv2")


def test_finetune_fractions_that_would_be_skipped_are_refused():
    with pytest.raises(ValueError, match=r"finetune_fractions \[0.25\] are not among fractions"):
        lowrank.scheme_sweep(
            TINY,
            [0.5],
            layers=["conv2"],
            svd={0.5: M},
            finetune_fractions=[0.25],
            finetune_data=DATA,
            finetune_epochs=1,
            data=DATA,
            batches=BATCHES,
            input_shape=SHAPE,
        )


def test_fastest_within_refuses_percentages_for_accuracies():
    # an empty scheme (no fine-tuning asked for) still gives the documented row of NaN
    assert all(
        np.isnan(v) for v in lowrank.fastest_within({}, base=0.9, max_drop=1, report=DATA, base_report=0.9).values()
    )
    with pytest.raises(ValueError, match=r"base \(an accuracy, as a fraction\) must be in \[0, 1\], got 90"):
        lowrank.fastest_within({0.5: M}, base=90.0, max_drop=1.0, report=DATA, base_report=0.9)
