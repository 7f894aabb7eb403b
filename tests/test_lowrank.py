"""Low-rank compression helpers (chapter "Low-rank compression")."""

import numpy as np
import pytest
import torch
from torch import nn

from helpers import lowrank
from helpers.bench import inference_time, module_times
from helpers.models import ReportCNN, TinyConvNet, count_macs, count_parameters


@pytest.fixture(autouse=True)
def no_grad():
    with torch.no_grad():
        yield


def conv(c_in=3, c_out=8, k=3, **kw):
    torch.manual_seed(0)
    return nn.Conv2d(c_in, c_out, k, **kw)


@pytest.mark.parametrize("kw", [{}, {"padding": 1}, {"stride": 2}, {"padding": 1, "bias": False}])
def test_two_convolutions_equal_convolution_with_wk(kw):
    layer = conv(4, 8, 3, **kw)
    x = torch.randn(5, 4, 12, 12)
    for k in (1, 3, 8):
        wk = lowrank.truncate_conv(layer, k)
        two = lowrank.factorize_conv(layer, k)
        assert [m.kernel_size for m in two] == [(3, 3), (1, 1)]
        assert two[0].out_channels == k
        assert float((two(x) - wk(x)).abs().max()) < 1e-5
    # at full rank both equal the original layer
    assert float((lowrank.factorize_conv(layer, 8)(x) - layer(x)).abs().max()) < 1e-5


def test_separable_scheme_is_exact_at_full_rank_and_has_the_right_shapes():
    layer = conv(4, 6, 3, padding=1)
    x = torch.randn(2, 4, 10, 10)
    sep = lowrank.separable_conv(layer, 3)
    assert [m.kernel_size for m in sep] == [(3, 1), (1, 3)]
    assert sep(x).shape == layer(x).shape
    full = lowrank.separable_conv(layer, min(4 * 3, 6 * 3))
    assert float((full(x) - layer(x)).abs().max()) < 1e-5
    # error decreases with k
    errs = [float((lowrank.separable_conv(layer, k)(x) - layer(x)).norm()) for k in (1, 4, 8, 12)]
    assert errs == sorted(errs, reverse=True)


def test_reconstruction_error_follows_eckart_young():
    layer = conv(6, 16, 3)
    s = lowrank.singular_values(layer).numpy()
    measured = lowrank.relative_errors(layer)
    formula = np.sqrt([np.sum(s[k:] ** 2) for k in range(1, len(s) + 1)]) / np.sqrt(np.sum(s**2))
    assert measured.shape == (16,)
    np.testing.assert_allclose(measured, formula, atol=1e-12)
    assert measured[-1] < 1e-12


def test_counts_match_hand_computed_values():
    layer = nn.Conv2d(2, 4, 3)  # W is 4 x 18
    c = lowrank.factorized_counts(layer, 2, positions=10)
    assert c == {"params": 4 * 18 + 4, "params_k": 2 * 18 + 4 * 2 + 4, "macs": 10 * 72, "macs_k": 10 * 2 * (18 + 4)}
    two = lowrank.factorize_conv(layer, 2)
    assert count_parameters(two) == c["params_k"]
    # an 8x8 input gives 6x6 = 36 output positions
    assert count_macs(two, (2, 8, 8)) == lowrank.factorized_counts(layer, 2, 36)["macs_k"]
    sep = lowrank.separable_conv(layer, 2)  # 2 filters 2x3x1, then 4 filters 2x1x3
    assert count_parameters(sep) == 2 * 2 * 3 + 4 * 2 * 3 + 4


def test_breakeven_rank_by_hand():
    # 32 x 9: k * (9 + 32) < 288 -> k <= 7
    assert lowrank.breakeven_rank(nn.Conv2d(1, 32, 3)) == 7
    # 64 x 288: k * 352 < 18432 -> k <= 52
    assert lowrank.breakeven_rank(nn.Conv2d(32, 64, 3)) == 52
    for conv in (nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3), nn.Conv2d(3, 4, 1)):
        k = lowrank.breakeven_rank(conv)
        if k:
            c = lowrank.factorized_counts(conv, k)
            assert c["macs_k"] < c["macs"]
        if k + 1 <= min(conv.weight.shape[0], conv.weight[0].numel()):
            c = lowrank.factorized_counts(conv, k + 1)
            assert c["macs_k"] >= c["macs"]


def test_compress_replaces_layers_and_keeps_the_original():
    net = ReportCNN(1, 28).eval()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    names = list(lowrank.conv_layers(net))
    assert names == ["conv1", "conv2", "conv3", "conv4"]
    small = lowrank.compress(net, {"conv2": 8, "conv3": 16}).eval()
    assert isinstance(small.conv2, nn.Sequential) and isinstance(net.conv2, nn.Conv2d)
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k])
    assert count_macs(small, (1, 28, 28)) < count_macs(net, (1, 28, 28))
    x = torch.randn(3, 1, 28, 28)
    full = lowrank.compress(
        net, {n: min(c.weight.shape[0], c.weight[0].numel()) for n, c in lowrank.conv_layers(net).items()}
    )
    assert float((full.eval()(x) - net(x)).abs().max()) < 1e-4
    # 'same' padding: 28 -> 14 -> 7 -> 3 after the pools
    assert lowrank.output_positions(net, (1, 28, 28)) == {"conv1": 784, "conv2": 196, "conv3": 49, "conv4": 9}


def test_rank_choices():
    net = ReportCNN(1, 28)
    e = lowrank.ranks_for_energy(net, 0.9)
    assert set(e) == set(lowrank.conv_layers(net))
    assert lowrank.ranks_for_energy(net, 1.0)["conv2"] == 64
    conv2 = net.conv2
    s2 = lowrank.singular_values(conv2) ** 2
    k = e["conv2"]
    assert float(s2[:k].sum() / s2.sum()) >= 0.9 > float(s2[: k - 1].sum() / s2.sum())
    b = lowrank.ranks_for_budget(net, (1, 28, 28), 0.3, layers=["conv2", "conv3"])
    pos = lowrank.output_positions(net, (1, 28, 28))
    convs = lowrank.conv_layers(net)
    spent = sum(lowrank.factorized_counts(convs[n], b[n], pos[n])["macs_k"] for n in b)
    total = sum(lowrank.factorized_counts(convs[n], 1, pos[n])["macs"] for n in b)
    assert spent <= 0.3 * total and all(v >= 1 for v in b.values())


def test_bad_input():
    layer = conv(3, 8, 3)  # rank at most 8
    with pytest.raises(ValueError, match="rank k must be an integer from 1 to 8"):
        lowrank.factorize_conv(layer, 0)
    with pytest.raises(ValueError, match="rank k must be an integer from 1 to 8"):
        lowrank.truncate_conv(layer, 9)
    with pytest.raises(ValueError, match="from 1 to 9, the full rank of the 9 x 24"):
        lowrank.separable_conv(layer, 10)
    with pytest.raises(ValueError, match="groups=2"):
        lowrank.factorize_conv(nn.Conv2d(4, 8, 3, groups=2), 2)
    with pytest.raises(ValueError, match=r"dilation=\(2, 2\)"):
        lowrank.separable_conv(nn.Conv2d(4, 8, 3, dilation=2), 2)
    with pytest.raises(ValueError, match="has no Conv2d layers"):
        lowrank.compress(nn.Sequential(nn.Linear(4, 2)), {})
    with pytest.raises(ValueError, match="has no Conv2d layers"):
        lowrank.ranks_for_energy(nn.Linear(4, 2), 0.9)
    with pytest.raises(ValueError, match="no Conv2d layer named \\['conv9'\\]"):
        lowrank.compress(TinyConvNet(), {"conv9": 2})
    with pytest.raises(ValueError, match="unknown scheme"):
        lowrank.compress(TinyConvNet(), {"conv1": 2}, scheme="tucker")
    with pytest.raises(ValueError, match=r"threshold \(an energy fraction\) must be in \(0, 1\]"):
        lowrank.ranks_for_energy(TinyConvNet(), 0)
    with pytest.raises(TypeError, match="conv must be a torch.nn.Conv2d"):
        lowrank.factorize_conv(nn.Linear(3, 3), 1)


def test_inference_time_reports_a_positive_median_and_restores_threads():
    before = torch.get_num_threads()
    t = inference_time(TinyConvNet(), (1, 28, 28), 4, threads=1, repeats=3, min_time=0.001)
    assert t > 0 and torch.get_num_threads() == before
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        inference_time(TinyConvNet(), (1, 28, 28), 0)


def test_module_times_follow_the_forward_pass():
    net = ReportCNN(1, 28)
    small = lowrank.compress(net, {"conv2": 4})
    a, b = module_times(net.features, small.features, x=torch.randn(8, 1, 28, 28), rounds=2, min_time=0.001)
    assert [n for n, _ in a] == [n for n, _ in b] == list(net.features._modules)
    assert [n for n, _ in a][:4] == ["conv1", "relu1", "pool1", "conv2"]
    assert all(t > 0 for _, t in a + b)
    with pytest.raises(TypeError, match="expects torch.nn.Sequential"):
        module_times(TinyConvNet(), x=torch.randn(1, 1, 28, 28))
    with pytest.raises(ValueError, match="same names"):
        module_times(net.features, net[-4:], x=torch.randn(1, 1, 28, 28))


def test_speedup_and_paired_times():
    from helpers.bench import paired_times, speedup

    net = ReportCNN(1, 28)
    res = speedup(
        net, lowrank.compress(net, {"conv2": 2}), torch.randn(4, 1, 28, 28), threads=1, rounds=3, min_time=0.001
    )
    assert set(res) == {"baseline", "candidate", "speedup", "low", "high", "rounds"} and res["speedup"] > 0
    assert res["low"] <= res["high"] and res["rounds"] == 3
    raw = paired_times({"a": lambda: 1}, rounds=4, min_time=1e-6, samples=True)
    assert len(raw["a"]) == 4 and all(v > 0 for v in raw["a"])
    assert res["low"] <= res["speedup"] <= res["high"]  # the median of the per-round ratios
    t = paired_times({"a": lambda: sum(range(100)), "b": lambda: sum(range(10000))}, rounds=3, min_time=0.001)
    assert 0 < t["a"] < t["b"]
    with pytest.raises(ValueError, match="rounds must be a positive integer"):
        paired_times({"a": lambda: 1}, rounds=0)
    with pytest.raises(ValueError, match="inputs must be a batch"):
        speedup(net, net, torch.randn(3))


# --- the chapter's experiments: sweeps, measurements, rank choices and tables


def _data(n=24, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 28, 28, generator=gen), torch.randint(0, 10, (n,), generator=gen)


FAST = {"threads": 1, "rounds": 1, "min_time": 1e-4}


def test_eckart_young_curves_measure_what_the_formula_says():
    c = lowrank.eckart_young_curves(conv(4, 6, 3))
    assert set(c) == {"k", "measured", "formula", "energy"}
    assert all(len(v) == 6 for v in c.values())
    np.testing.assert_array_equal(c["k"], np.arange(1, 7))
    np.testing.assert_allclose(c["measured"], c["formula"], atol=1e-12)
    # energy kept and error are two sides of one sum: e_k² + energy_k = 1
    np.testing.assert_allclose(c["formula"] ** 2 + c["energy"], 1, atol=1e-12)
    assert np.all(np.diff(c["energy"]) >= 0) and abs(c["energy"][-1] - 1) < 1e-12


def test_factorization_errors_are_float_rounding_at_every_rank():
    layer = TinyConvNet().conv2
    x = torch.randn(3, 8, 13, 13)
    diffs, rels = lowrank.factorization_errors(layer, x)
    assert diffs.shape == rels.shape == (16,)
    assert rels.max() < 1e-5 and (diffs >= 0).all()
    with pytest.raises(ValueError, match=r"inputs must have 8 channel\(s\), got 4"):
        lowrank.factorization_errors(layer, torch.randn(3, 4, 13, 13))


def test_accuracy_grid_covers_every_pair_and_is_exact_at_full_rank():
    from helpers.train import evaluate

    net = TinyConvNet().eval()
    data = _data()
    acc = lowrank.accuracy_grid(net, data, {"conv1": [1, 8], "conv2": [2, 16]})
    assert list(acc) == [(1, 2), (1, 16), (8, 2), (8, 16)]
    assert all(0 <= a <= 1 for a in acc.values())
    assert acc[8, 16] == pytest.approx(evaluate(net, data)["accuracy"])
    assert acc == lowrank.accuracy_grid(net, data, {"conv1": [1, 8], "conv2": [2, 16]})  # deterministic
    with pytest.raises(ValueError, match="exactly two layer names"):
        lowrank.accuracy_grid(net, data, {"conv1": [1]})
    with pytest.raises(ValueError, match="positive integer ranks"):
        lowrank.accuracy_grid(net, data, {"conv1": [0], "conv2": [1]})


def test_full_ranks_fractions_and_separable_caps():
    net = ReportCNN(1, 28)
    assert lowrank.full_ranks(net) == {"conv1": 9, "conv2": 64, "conv3": 128, "conv4": 128}
    assert lowrank.ranks_at_fraction(net, 1 / 4, ["conv2", "conv3"]) == {"conv2": 16, "conv3": 32}
    assert lowrank.ranks_at_fraction(net, 1 / 32, ["conv2", "conv4"]) == {"conv2": 2, "conv4": 4}
    assert lowrank.ranks_at_fraction(net, 3 / 16, ["conv2"]) == {"conv2": 12}  # ⌈f·r⌉
    # conv2 is 64 x 32 x 3 x 3: its separable matrix is (32·3) x (64·3), rank at most 96
    assert lowrank.separable_ranks(net, {"conv2": 120, "conv1": 5}) == {"conv2": 96, "conv1": 3}
    with pytest.raises(ValueError, match=r"fraction must be in \(0, 1\]"):
        lowrank.ranks_at_fraction(net, 0, ["conv2"])
    with pytest.raises(ValueError, match="no Conv2d layer named"):
        lowrank.full_ranks(net, ["fc1"])
    with pytest.raises(ValueError, match="no Conv2d layer named"):
        lowrank.separable_ranks(net, {"conv9": 2})


def test_measure_reports_fractions_accuracy_and_speedups_and_restores_threads():
    net = ReportCNN(1, 28).eval()
    x, y = _data(8)
    small = lowrank.compress(net, {"conv2": 4, "conv3": 8})
    before = torch.get_num_threads()
    m = lowrank.measure(small, net, data=(x, y), batches={1: x[:1], 256: x}, input_shape=(1, 28, 28), **FAST)
    assert torch.get_num_threads() == before
    assert set(m) == {"net", "acc", "macs", "params", "t1", "t256", "t256_low", "t256_high"}
    assert m["net"] is small and 0 <= m["acc"] <= 1
    assert m["macs"] == count_macs(small, (1, 28, 28)) / count_macs(net, (1, 28, 28)) < 1
    assert m["params"] == count_parameters(small) / count_parameters(net) < 1
    assert m["t256_low"] <= m["t256"] <= m["t256_high"] and m["t1"] > 0
    with pytest.raises(ValueError, match="batches must be"):
        lowrank.measure(small, net, data=(x, y), batches={256: x}, input_shape=(1, 28, 28))
    with pytest.raises(TypeError, match="unknown timing settings.*repeats"):
        lowrank.measure(small, net, data=(x, y), batches={1: x[:1], 256: x}, input_shape=(1, 28, 28), repeats=3)


def test_layer_sweep_one_layer_at_a_time():
    net = ReportCNN(1, 28).eval()
    x, y = _data(8)
    grid = {"conv2": [4, 60], "conv4": [8]}
    res = lowrank.layer_sweep(net, grid, data=(x, y), inputs=x, input_shape=(1, 28, 28), **FAST)
    assert list(res) == [("conv2", 4), ("conv2", 60), ("conv4", 8)]
    c = lowrank.factorized_counts(net.conv2, 4, 196)
    assert res["conv2", 4]["layer_macs"] == c["macs_k"] / c["macs"]
    assert res["conv2", 60]["layer_macs"] > 1  # above the break-even rank the layer costs more
    assert res["conv2", 4]["net_macs"] < 1 < res["conv2", 60]["net_macs"]
    with pytest.raises(ValueError, match=r"no Conv2d layer named \['fc1'\]"):
        lowrank.layer_sweep(net, {"fc1": [2]}, data=(x, y), inputs=x, input_shape=(1, 28, 28))


def test_step_times_and_their_table():
    net = ReportCNN(1, 28).eval()
    ranks = {"conv2": 8, "conv3": 16}
    small = lowrank.compress(net, ranks).eval()
    x = torch.randn(4, 1, 28, 28)
    t = lowrank.step_times(net, small, x, **FAST)
    assert list(t["baseline"]) == list(t["candidate"]) == list(net.features._modules)
    assert all(v > 0 for v in t["baseline"].values()) and set(t["one_call"]) == {"baseline", "candidate"}
    table = lowrank.step_table(t, net, ranks, input_shape=(1, 28, 28), label="f = test").splitlines()
    assert len(table) == 2 + len(t["baseline"]) + 2
    assert "ms, f = test" in table[0]
    conv2 = next(row for row in table if row.startswith("| conv2 |"))
    c = lowrank.factorized_counts(net.conv2, 8, 196)
    assert f"{c['macs']:,}" in conv2 and conv2.rstrip(" |").endswith(f"{c['macs'] / c['macs_k']:.2f}")
    assert "1 (kept)" in next(row for row in table if row.startswith("| conv1 |"))
    with pytest.raises(TypeError, match="needs a .features Sequential"):
        lowrank.step_times(TinyConvNet(), TinyConvNet(), torch.randn(1, 1, 28, 28))


def test_scheme_sweep_reuses_svd_measures_separable_and_finetunes():
    net = TinyConvNet().eval()
    x, y = _data(16)
    bench = dict(data=(x, y), batches={1: x[:1], 256: x}, input_shape=(1, 28, 28), **FAST)
    svd = {1 / 4: {"from": "svd"}, 1 / 2: {"from": "svd"}}  # reused as they are
    before = {k: v.clone() for k, v in net.state_dict().items()}
    tuning = dict(finetune_data=(x, y), finetune_epochs=1, device="cpu", seed=0)
    res = lowrank.scheme_sweep(
        net, [1 / 4, 1 / 2], layers=["conv2"], svd=svd, finetune_fractions=[1 / 4], **tuning, **bench
    )
    assert list(res) == ["svd", "separable", "svd + fine-tuning"]
    assert res["svd"][1 / 4] is svd[1 / 4] and list(res["separable"]) == [1 / 4, 1 / 2]
    assert list(res["svd + fine-tuning"]) == [1 / 4]
    separable = res["separable"][1 / 2]["net"].conv2
    assert [m.kernel_size for m in separable] == [(3, 1), (1, 3)] and separable[0].out_channels == 8
    tuned = res["svd + fine-tuning"][1 / 4]["net"].conv2
    untuned = lowrank.compress(net, {"conv2": 4}).conv2
    assert tuned[0].weight.shape == untuned[0].weight.shape == (4, 8, 3, 3)
    assert not torch.equal(tuned[0].weight, untuned[0].weight)  # training moved the weights
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k])  # the original is left alone
    with pytest.raises(ValueError, match="no measurement for the fractions"):
        lowrank.scheme_sweep(net, [1 / 8], layers=["conv2"], svd=svd, finetune_fractions=[], **tuning, **bench)


def test_fastest_within_chooses_on_selection_and_reports_once():
    from helpers.train import evaluate

    net = TinyConvNet().eval()
    report = _data(12, seed=1)
    m = {"net": net, "macs": 0.5, "t256_low": 1.0, "t256_high": 2.0}
    results = {0.25: dict(m, acc=0.80, t256=2.0), 0.5: dict(m, acc=0.895, t256=1.5), 0.75: dict(m, acc=0.9, t256=1.1)}
    chosen = lowrank.fastest_within(results, base=0.9, max_drop=1.0, report=report, base_report=0.5)
    test = 100 * evaluate(net, report)["accuracy"]
    assert chosen == {
        "f": 0.5,
        "speed": 1.5,
        "low": 1.0,
        "high": 2.0,
        "theory": 2.0,
        "ratio": 0.75,
        "test": test,
        "drop": pytest.approx(50 - test),
    }
    assert lowrank.fastest_within(results, base=0.9, max_drop=20, report=report, base_report=0.5)["f"] == 0.25
    none = lowrank.fastest_within(results, base=0.99, max_drop=1, report=report, base_report=0.5)
    assert len(none) == 8 and all(np.isnan(v) for v in none.values())


def test_worth_factorizing_rank_rules_and_their_table():
    net = ReportCNN(1, 28).eval()
    # conv2's break-even rank is 52, conv3's 104
    assert lowrank.worth_factorizing(net, {"conv2": 60, "conv3": 10}) == {"conv3": 10}
    with pytest.raises(ValueError, match="no Conv2d layer named"):
        lowrank.worth_factorizing(net, {"fc2": 3})
    layers = ["conv2", "conv3"]
    rules = lowrank.rank_rules(net, (1, 28, 28), energy=[0.9, 0.999], budget=[0.3], layers=layers)
    assert list(rules) == ["energy ≥ 0.9", "energy ≥ 0.999", "budget 0.3 of the multiply–adds"]
    energy = lowrank.ranks_for_energy(net, 0.9)
    assert rules["energy ≥ 0.9"] == {n: energy[n] for n in layers}
    assert rules["budget 0.3 of the multiply–adds"] == lowrank.ranks_for_budget(net, (1, 28, 28), 0.3, layers=layers)
    with pytest.raises(ValueError, match="no Conv2d layer named"):
        lowrank.rank_rules(net, (1, 28, 28), energy=[0.9], budget=[], layers=["fc1"])
    x, y = _data(8)
    m = {"net": net, "params": 0.5, "macs": 0.25, "t1": 1.1, "t256": 2.0, "t256_low": 1.5, "t256_high": 2.5}
    choices = {rule: (ranks, m) for rule, ranks in rules.items()}
    table = lowrank.rule_table(choices, net, layers, (x, y), 0.5).splitlines()
    assert len(table) == 3 + len(rules)
    assert "ranks (conv2, conv3)" in table[0] and table[2].startswith("| uncompressed | 64, 128 | 50.00 |")
    kept = [n for n in layers if rules["energy ≥ 0.999"][n] > lowrank.breakeven_rank(net.get_submodule(n))]
    assert kept and table[4].count(": kept)") == len(kept)


def test_layer_costs_add_up_to_the_convolutions_share():
    net = ReportCNN(1, 28)
    costs = lowrank.layer_costs(net, (1, 28, 28))
    assert list(costs) == ["conv1", "conv2", "conv3", "conv4"]
    assert [c["positions"] for c in costs.values()] == [784, 196, 49, 9]
    assert costs["conv2"]["shape"] == (64, 32, 3, 3) and costs["conv2"]["macs"] == 196 * 64 * 32 * 9
    total = count_macs(net, (1, 28, 28))
    assert costs["conv3"]["share"] == pytest.approx(100 * 49 * 128 * 64 * 9 / total)
    assert 90 < sum(c["share"] for c in costs.values()) < 100  # the dense layers hold the rest
