import pytest
import torch
from torch import nn

import helpers
from helpers import conv_svd
from helpers.models import TinyConvNet
from helpers.zoo import tinyconvnet_mnist, tinyconvnet_settings


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return TinyConvNet().eval()


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
def test_svd_reconstructs_the_weights(net, dtype, tol):
    for conv, shape in ((net.conv1, (8, 9)), (net.conv2, (16, 72))):
        s = conv_svd.layer_svd(conv, dtype)
        assert tuple(s["W"].shape) == shape
        assert s["error"] < tol
        # Parseval: ‖W‖_F² = Σσᵢ²
        fro = s["W"].pow(2).sum()
        assert abs(float(fro - s["S"].pow(2).sum())) / float(fro) < (1e-5 if dtype == torch.float32 else 1e-12)


@pytest.mark.parametrize("dtype, tol", [(torch.float32, 1e-5), (torch.float64, 1e-12)])
def test_analytical_forward_matches_pytorch(net, dtype, tol):
    m = TinyConvNet()
    m.load_state_dict(net.state_dict())
    m = m.to(dtype).eval()
    x = torch.randn(16, 1, 28, 28, generator=torch.Generator().manual_seed(1)).to(dtype)
    s1, s2 = conv_svd.layer_svd(m.conv1), conv_svd.layer_svd(m.conv2)
    with torch.no_grad():
        out = m.conv1(x)
        assert float((conv_svd.analytical_conv(x, m.conv1, s1) - out).abs().max()) / float(out.abs().max()) < tol
        h1 = m.pool(torch.relu(out))
        out2 = m.conv2(h1)
        assert float((conv_svd.analytical_conv(h1, m.conv2, s2) - out2).abs().max()) / float(out2.abs().max()) < tol
        logits = m(x)
        ana = conv_svd.analytical_tinyconvnet(m, x, (s1, s2))
        assert float((ana - logits).abs().max()) / float(logits.abs().max()) < tol


def test_bias_is_handled(net):
    conv = nn.Conv2d(2, 4, 3, bias=True).double()
    x = torch.randn(3, 2, 9, 9, dtype=torch.float64)
    with torch.no_grad():
        assert torch.allclose(conv_svd.analytical_conv(x, conv), conv(x), atol=1e-12)
        assert torch.allclose(conv_svd.analytical_conv(x, conv, relu=True), torch.relu(conv(x)), atol=1e-12)


def test_relu_mask_counts_are_bounded_and_grow(net):
    x = torch.randn(50, 1, 28, 28, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    counts = conv_svd.relu_mask_counts(net.conv1, x, [10, 100, 1000, 30000])
    assert counts == sorted(counts) and counts[-1] <= 256 and counts[0] <= 10
    assert counts[-1] > counts[0]


def test_truncated_weight_and_eigenfilters(net):
    w2 = conv_svd.truncated_weight(net.conv1, 2, dtype=torch.float64)
    assert w2.shape == net.conv1.weight.shape
    assert torch.linalg.matrix_rank(w2.reshape(8, 9).double()) == 2
    full = conv_svd.truncated_weight(net.conv1, 8)
    assert torch.allclose(full, net.conv1.weight.detach(), atol=1e-6)
    ef = conv_svd.eigenfilters(net.conv2)
    assert ef.shape == (16, 8, 3, 3)
    v = ef.reshape(16, -1)
    assert torch.allclose(v @ v.T, torch.eye(16, dtype=v.dtype), atol=1e-12)


# ------------------------------------------------------------------ bad input


def test_not_a_conv_layer(net):
    with pytest.raises(TypeError, match="conv must be a torch.nn.Conv2d layer, got Linear.*; pass e.g. model.conv1"):
        conv_svd.layer_svd(net.fc)
    with pytest.raises(TypeError, match="must be a TinyConvNet"):
        conv_svd.analytical_tinyconvnet(nn.Sequential(), torch.zeros(1, 1, 28, 28))


@pytest.mark.parametrize(
    "kwargs, what",
    [
        ({"stride": 2}, "stride=(2, 2)"),
        ({"padding": 1}, "padding=(1, 1)"),
        ({"dilation": 2}, "dilation=(2, 2)"),
        ({"groups": 2}, "groups=2"),
    ],
)
def test_unsupported_layer_options(kwargs, what):
    conv = nn.Conv2d(2, 4, 3, bias=False, **kwargs)
    with pytest.raises(ValueError, match=f"covers stride 1, no padding.*{what.replace('(', '.').replace(')', '.')}"):
        conv_svd.layer_svd(conv)


def test_rank_above_the_matrix_rank(net):
    with pytest.raises(ValueError, match=r"from 1 to 8, the weight matrix's rank \(a 8 x 9 matrix\); got 9"):
        conv_svd.truncated_weight(net.conv1, 9)
    with pytest.raises(ValueError, match="got 0"):
        conv_svd.truncated_weight(net.conv1, 0)
    deficient = nn.Conv2d(1, 4, 3, bias=False)
    with torch.no_grad():
        deficient.weight.copy_(torch.ones(4, 1, 3, 3))  # rank one
    with pytest.raises(ValueError, match="from 1 to 1, the weight matrix's rank"):
        conv_svd.truncated_weight(deficient, 2)


def test_wrong_input_shape(net):
    with pytest.raises(ValueError, match=r"x must have 8 channel\(s\), got 1 \(shape \(2, 1, 12, 12\)\)"):
        conv_svd.analytical_conv(torch.zeros(2, 1, 12, 12), net.conv2)
    with pytest.raises(ValueError, match="sample sizes must be between 1 and the"):
        conv_svd.relu_mask_counts(net.conv1, torch.zeros(1, 1, 28, 28), [10**6])


def test_zoo_settings(monkeypatch):
    cfg = helpers.setup(quick=True, device="cpu")
    assert tinyconvnet_settings(cfg)["epochs"] == 1
    assert tinyconvnet_settings(cfg, epochs=3)["epochs"] == 3
    assert tinyconvnet_settings(helpers.setup(quick=False, device="cpu"))["epochs"] == 20
    with pytest.raises(TypeError, match="unknown TinyConvNet setting"):
        tinyconvnet_settings(cfg, epoch=3)


def test_zoo_trains_then_loads(real_data):
    cfg = helpers.setup(quick=True, device="cpu")
    m1, h1, loaded1, (train, test), s = tinyconvnet_mnist(cfg, progress=False, train_subset=2000)
    m2, h2, loaded2, _, _ = tinyconvnet_mnist(cfg, progress=False, train_subset=2000)
    assert (loaded1, loaded2) == (False, True) and len(train) == 2000
    assert h1.as_dict() == h2.as_dict()
    assert h1.test_acc[-1] > 0.5


# ------------------------------------------------ the chapter's forward-pass check


def test_forward_pass_errors_are_rounding_level_and_leave_the_model_alone(net):
    x = torch.randn(4, 1, 28, 28, generator=torch.Generator().manual_seed(3))
    svds = (conv_svd.layer_svd(net.conv1), conv_svd.layer_svd(net.conv2))
    before = {k: v.clone() for k, v in net.state_dict().items()}
    errors = conv_svd.forward_pass_errors(net, x, svds)
    assert set(errors["weights"]) == {"32", "64"}
    assert all(len(w) == 2 for w in errors["weights"].values())
    assert errors["weights"]["64"] == pytest.approx([svds[0]["error"], svds[1]["error"]])
    assert set(errors["outputs"]) == {(o, t) for o in ("layer 1", "layer 2", "logits") for t in ("32", "64")}
    for (_, tag), row in errors["outputs"].items():
        assert set(row) == {"abs", "rel", "own"}
        if tag == "64":
            assert row["abs"] < 1e-12 and row["own"] == 0.0
        else:
            assert row["rel"] < 1e-5 and 0 < row["own"] < 1e-5
    # the model keeps its dtype and weights; the same call gives the same numbers
    assert next(net.parameters()).dtype == torch.float32
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert conv_svd.forward_pass_errors(net, x, svds) == errors
    only64 = conv_svd.forward_pass_errors(net, x, svds, dtypes=(torch.float64,))
    assert set(only64["weights"]) == {"64"} and only64["outputs"]["logits", "64"] == errors["outputs"]["logits", "64"]


def test_forward_pass_table_has_a_row_per_output_and_dtype(net):
    x = torch.randn(2, 1, 28, 28, generator=torch.Generator().manual_seed(4))
    errors = conv_svd.forward_pass_errors(net, x, (conv_svd.layer_svd(net.conv1), conv_svd.layer_svd(net.conv2)))
    lines = conv_svd.forward_pass_table(errors).splitlines()
    assert len(lines) == 1 + 6 and "max |analytical − PyTorch|" in lines[0]
    assert lines[1].split()[:3] == ["layer", "1", "float32"] and lines[-1].split()[:2] == ["logits", "float64"]
    with pytest.raises(TypeError, match="forward_pass_errors returns"):
        conv_svd.forward_pass_table({"weights": {}})


def test_forward_pass_errors_bad_input(net):
    x = torch.zeros(1, 1, 28, 28)
    svds = (conv_svd.layer_svd(net.conv1), conv_svd.layer_svd(net.conv2))
    with pytest.raises(TypeError, match="must be a TinyConvNet"):
        conv_svd.forward_pass_errors(nn.Linear(2, 2), x, svds)
    with pytest.raises(
        TypeError, match=r"svds must be the pair \(layer_svd\(model.conv1\), layer_svd\(model.conv2\)\)"
    ):
        conv_svd.forward_pass_errors(net, x, svds[0])
    with pytest.raises(ValueError, match="dtypes must be among torch.float32 and torch.float64"):
        conv_svd.forward_pass_errors(net, x, svds, dtypes=(torch.float16,))
    with pytest.raises(ValueError, match="dtypes must be among"):
        conv_svd.forward_pass_errors(net, x, svds, dtypes=())


def test_weight_matrix_round_trip_and_rank_k():
    conv = nn.Conv2d(3, 5, (2, 3), stride=2, padding=1)
    w = conv_svd.weight_matrix(conv, patches=False)
    assert w.shape == (5, 3 * 2 * 3) and w.dtype == torch.float64
    assert torch.equal(conv_svd.weight_from_matrix(w, conv), conv.weight.detach().double())
    w2, u, s, vt = conv_svd.weight_svd(conv, patches=False, device="cpu")
    assert torch.equal(w2, w)
    assert torch.allclose(conv_svd.rank_k(u, s, vt, len(s)), w, atol=1e-12)
    # Eckart–Young: the rank-k error is the tail of the spectrum
    err = torch.linalg.norm(w - conv_svd.rank_k(u, s, vt, 2))
    assert torch.isclose(err, s[2:].square().sum().sqrt(), rtol=1e-10)
    with pytest.raises(ValueError, match="C_in·kh·kw = 18 columns"):
        conv_svd.weight_from_matrix(torch.zeros(5, 17), conv)


def test_check_conv_modes():
    strided = nn.Conv2d(1, 2, 3, stride=2, padding=1)
    assert conv_svd.check_conv(strided, patches=False) is strided
    with pytest.raises(ValueError, match=r"covers stride 1, no padding.*stride=\(2, 2\)"):
        conv_svd.check_conv(strided)
    with pytest.raises(ValueError, match="low-rank factorization covers ordinary convolutions.*groups=2"):
        conv_svd.check_conv(nn.Conv2d(2, 2, 3, groups=2), patches=False)
    with pytest.raises(ValueError, match="padding='same'"):
        conv_svd.check_conv(nn.Conv2d(1, 2, 3, padding="same"), patches=False)
    with pytest.raises(ValueError, match="padding_mode='reflect'"):
        conv_svd.check_conv(nn.Conv2d(1, 2, 3, padding=1, padding_mode="reflect"), patches=False)
    with pytest.raises(TypeError, match="conv must be a torch.nn.Conv2d layer, got Linear"):
        conv_svd.check_conv(nn.Linear(2, 2), patches=False)


def test_relu_mask_counts_are_exact_for_more_than_63_filters():
    # 70 filters: a pattern packed into an int64 would overflow; count the distinct rows instead
    conv = torch.nn.Conv2d(1, 70, 1, bias=False)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[:, 0, 0, 0] = torch.linspace(-1, 1, 70)
    x = torch.cat([-torch.linspace(0.1, 1, 480), torch.linspace(0.1, 1, 481)]).reshape(1, 1, 31, 31)
    # with one input value v != 0, filter j fires when w_j * v > 0: all the negative-weight filters
    # (v < 0) or all the positive-weight ones (v > 0) -> exactly 2 patterns
    assert conv_svd.relu_mask_counts(conv, x, [31 * 31]) == [2]
    conv2 = torch.nn.Conv2d(1, 70, 1)
    with torch.no_grad():
        conv2.weight.fill_(1.0)
        conv2.bias.copy_(-torch.linspace(-1, 1, 70))
    # filter j fires when v > b_j: the 70 thresholds run from -1 to 1, and the 961 values (0.002
    # apart, strictly inside) fall in every one of the 69 gaps between neighbours -> 69 patterns
    x = torch.linspace(-0.999, 0.999, 31 * 31).reshape(1, 1, 31, 31)
    assert conv_svd.relu_mask_counts(conv2, x, [31 * 31]) == [69]


# ------------------------------------------------- the layer as an operator on whole images


@pytest.mark.parametrize(
    "shape, n",
    [((4, 3, 3, 3), 6), ((4, 3, 3, 3), 3), ((8, 1, 3, 3), 7), ((3, 5, 3, 3), 5), ((2, 2, 2, 4), 5), ((1, 1, 1, 1), 4)],
)
def test_fft_singular_values_are_those_of_the_assembled_matrix(shape, n):
    # Sedghi, Gupta & Long: the union over frequencies of the singular values of K̂(ω)
    w = torch.randn(*shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    dense = torch.linalg.svdvals(conv_svd.circular_conv_matrix(w, n))
    fft = conv_svd.operator_singular_values(w, n)
    assert fft.shape == (n * n * min(shape[:2]),) == dense.shape
    assert torch.all(fft[:-1] >= fft[1:])  # largest first
    assert float((fft - dense).abs().max()) <= 1e-10 * float(dense[0])


def test_the_assembled_matrix_is_the_circular_convolution():
    w = torch.randn(3, 2, 3, 3, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    x = torch.randn(1, 2, 5, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    conv = torch.nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular", bias=False).double()
    with torch.no_grad():
        conv.weight.copy_(w)
    expected = conv(x).flatten()
    assert torch.allclose(conv_svd.circular_conv_matrix(w, 5) @ x.flatten(), expected, atol=1e-12)


def test_operator_singular_values_keep_the_energy_and_the_patch_bound():
    # Parseval: Σσ² over all frequencies = n²‖W‖_F²; each K̂(ω) is W times unit phases: σ ≤ √(kh·kw)·σ₁(W)
    conv = torch.nn.Conv2d(3, 5, 3, bias=False)
    n = 9
    op = conv_svd.operator_singular_values(conv, n)
    w = conv.weight.detach().double()
    assert float((op**2).sum()) == pytest.approx(n * n * float((w**2).sum()), rel=1e-12)
    sigma1 = float(conv_svd.layer_svd(conv)["S"][0])
    assert float(op[0]) <= 3 * sigma1 * (1 + 1e-12)


@pytest.mark.parametrize("kwargs, size", [({}, 10), ({"padding": 1}, 10), ({"stride": 2}, 11), ({"padding": 2}, 7)])
def test_operator_norm_is_the_largest_singular_value_of_the_zero_padded_layer(kwargs, size):
    conv = torch.nn.Conv2d(3, 4, 3, bias=False, **kwargs).double()
    n_in = 3 * size * size
    basis = torch.eye(n_in, dtype=torch.float64).reshape(n_in, 3, size, size)
    with torch.no_grad():
        dense = torch.nn.functional.conv2d(basis, conv.weight, None, conv.stride, conv.padding).reshape(n_in, -1).T
    exact = float(torch.linalg.matrix_norm(dense, 2))
    assert conv_svd.operator_norm(conv, (3, size, size)) == pytest.approx(exact, rel=1e-8)
    if "stride" not in kwargs:  # zero padding keeps a block of the circular operator: its norm is a bound
        p = kwargs.get("padding", 0)
        assert exact <= float(conv_svd.operator_singular_values(conv, size + 2 * p)[0]) * (1 + 1e-12)


def test_jacobian_norms_are_those_of_the_full_jacobian():
    torch.manual_seed(0)
    model = TinyConvNet().eval()
    x = torch.rand(3, 1, 28, 28)
    norms = conv_svd.jacobian_norms(model, x)
    assert norms.shape == (3,)
    for i in range(3):
        jac = torch.autograd.functional.jacobian(lambda z: model(z[None])[0], x[i]).reshape(10, -1).double()
        assert float(norms[i]) == pytest.approx(float(torch.linalg.matrix_norm(jac, 2)), rel=1e-5)
