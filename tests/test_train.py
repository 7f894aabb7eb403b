import errno

import numpy as np
import pytest
import torch
from torch import nn

import helpers
from helpers import train as T
from helpers.models import TinyConvNet


def blobs(n=400, d=2, k=4, seed=0, spread=0.3):
    """k well-separated Gaussian blobs: a problem any classifier should solve."""
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(k, d, generator=g) * 3
    y = torch.arange(n) % k
    x = centres[y] + spread * torch.randn(n, d, generator=g)
    return x, y


def mlp(d=2, k=4):
    return nn.Sequential(nn.Linear(d, 32), nn.ReLU(), nn.Linear(32, k))


def test_fit_learns_a_separable_problem():
    x, y = blobs()
    model = mlp()
    hist = T.fit(model, (x, y), (x, y), epochs=30, batch_size=32, lr=1e-2, device="cpu", progress=False)
    assert hist.epochs == 30 and len(hist.test_acc) == 30 and len(hist.seconds) == 30
    assert hist.train_loss[-1] < hist.train_loss[0]
    assert hist.test_acc[-1] > 0.95
    res = T.evaluate(model, (x, y), device="cpu")
    assert res["accuracy"] == pytest.approx(hist.test_acc[-1])
    assert res["predictions"].shape == (400,)


def test_fit_is_deterministic():
    x, y = blobs()
    runs = []
    for _ in range(2):
        helpers.seed_everything(0)
        model = mlp()
        T.fit(model, (x, y), epochs=3, batch_size=16, seed=5, device="cpu", progress=False)
        runs.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    assert torch.equal(runs[0], runs[1])


def test_sgd_and_progress_bar_work():
    x, y = blobs(n=64)
    hist = T.fit(mlp(), (x, y), epochs=2, optimizer="sgd", lr=0.05, device="cpu", progress=True)
    assert hist.epochs == 2


def test_fit_rejects_bad_input():
    x, y = blobs(n=40)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        T.fit(mlp(), (x, y), epochs=0)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        T.fit(mlp(), (x, y), batch_size=-1)
    with pytest.raises(ValueError, match=r"lr \(the learning rate\) must be a number > 0"):
        T.fit(mlp(), (x, y), lr=0)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        T.fit(mlp(), (x, y), optimizer="rmsprop", device="cpu", progress=False)
    with pytest.raises(ValueError, match="40 inputs but 39 labels"):
        T.fit(mlp(), (x, y[:39]))
    with pytest.raises(TypeError, match="must be an ImageData .* or a tuple"):
        T.fit(mlp(), x)


def test_cross_validation_is_stratified_and_scores_well():
    x, y = blobs(n=200)
    res = T.cross_validate(lambda: mlp(), (x, y), k=4, epochs=20, batch_size=16, lr=1e-2, device="cpu", progress=False)
    assert len(res.scores) == 4 and len(res.histories) == 4
    assert res.mean > 0.9 and 0 <= res.std < 0.1
    assert res.std == pytest.approx(float(np.std(res.scores)))
    assert "over 4 folds" in str(res)


def test_cross_validation_rejects_bad_k():
    x, y = blobs(n=20, k=4)  # 5 examples per class
    with pytest.raises(ValueError, match="k must be an integer of at least 2"):
        T.cross_validate(mlp, (x, y), k=1)
    with pytest.raises(ValueError, match="rarest class has 5; use k <= 5"):
        T.cross_validate(mlp, (x, y), k=6)


def test_train_or_load_caches_and_reloads(private_cache):
    x, y = blobs()
    kw = dict(name="blobs", epochs=3, batch_size=32, lr=1e-2, device="cpu", progress=False)
    m1, h1, loaded1 = T.train_or_load(mlp, (x, y), (x, y), **kw)
    m2, h2, loaded2 = T.train_or_load(mlp, (x, y), (x, y), **kw)
    assert (loaded1, loaded2) == (False, True)
    assert h1.as_dict() == h2.as_dict()
    for a, b in zip(m1.state_dict().values(), m2.state_dict().values()):
        assert torch.equal(a, b)
    files = list((private_cache / "checkpoints").iterdir())
    assert len(files) == 1 and files[0].name.startswith("blobs-")
    # a different setting is a different checkpoint
    _, _, loaded3 = T.train_or_load(mlp, (x, y), (x, y), **{**kw, "epochs": 4})
    assert loaded3 is False
    assert len(list((private_cache / "checkpoints").iterdir())) == 2
    # so is different data
    _, _, loaded4 = T.train_or_load(mlp, (x + 1, y), (x, y), **kw)
    assert loaded4 is False


def test_interrupted_training_leaves_no_checkpoint(private_cache, monkeypatch):
    x, y = blobs()
    real_save = torch.save

    def killed_while_saving(obj, f, *a, **k):
        real_save({"partial": torch.zeros(3)}, f)
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", killed_while_saving)
    with pytest.raises(KeyboardInterrupt):
        T.train_or_load(mlp, (x, y), name="blobs", epochs=1, device="cpu", progress=False)
    assert list((private_cache / "checkpoints").iterdir()) == []
    monkeypatch.setattr(torch, "save", real_save)
    _, _, loaded = T.train_or_load(mlp, (x, y), name="blobs", epochs=1, device="cpu", progress=False)
    assert loaded is False


def test_full_disk_while_saving_checkpoint(private_cache, monkeypatch):
    x, y = blobs()

    def no_space(obj, f, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", no_space)
    with pytest.raises(helpers.CacheError, match="is full"):
        T.train_or_load(mlp, (x, y), name="blobs", epochs=1, device="cpu", progress=False)
    assert list((private_cache / "checkpoints").iterdir()) == []


def test_damaged_checkpoint_is_kept_aside_and_retrained(private_cache):
    x, y = blobs()
    kw = dict(name="blobs", epochs=1, device="cpu", progress=False)
    T.train_or_load(mlp, (x, y), **kw)
    (ckpt,) = (private_cache / "checkpoints").iterdir()
    ckpt.write_bytes(ckpt.read_bytes()[:100])
    with pytest.warns(UserWarning, match="could not be loaded.*moved it to"):
        _, _, loaded = T.train_or_load(mlp, (x, y), **kw)
    assert loaded is False
    names = sorted(p.name for p in (private_cache / "checkpoints").iterdir())
    assert len(names) == 2 and any(".damaged-" in n for n in names)


def test_train_or_load_bad_input():
    x, y = blobs()
    with pytest.raises(TypeError, match="unknown training setting.*'epoch'"):
        T.train_or_load(mlp, (x, y), name="blobs", epoch=3)
    with pytest.raises(ValueError, match="checkpoint name must be a non-empty string"):
        T.train_or_load(mlp, (x, y), name="a/b")


def test_tinyconvnet_learns_mnist_subset(real_data):
    """An end-to-end floor: two epochs on 6,000 MNIST digits beat 85% on 2,000 test digits."""
    train, test = helpers.load_splits("mnist", train_subset=6000, test_subset=2000, normalize=True)
    model = TinyConvNet()
    hist = T.fit(model, train, test, epochs=2, batch_size=64, lr=2e-3, device="cpu", progress=False)
    assert hist.test_acc[-1] > 0.85


def test_cpu_layout_is_channels_last_inside_and_restored_after():
    from helpers.models import ReportCNN

    torch.manual_seed(0)
    model = ReportCNN(1, 28)
    params = list(model.parameters())
    x = torch.randn(40, 1, 28, 28)
    model.eval()
    with torch.no_grad():
        reference = model(x)
    with T.cpu_layout(model, torch.device("cpu")):
        conv2 = model.features[3].weight
        assert conv2.is_contiguous(memory_format=torch.channels_last) and not conv2.is_contiguous()
        with T.cpu_layout(model, torch.device("cpu")):  # nested: leaves the outer layout alone
            pass
        assert not conv2.is_contiguous()
        with torch.no_grad():
            inside = model(x)
    # same Parameter objects, default layout again, same function to float rounding
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(p.is_contiguous() for p in model.parameters())
    torch.testing.assert_close(inside, reference, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(T.predict(model, x, device="cpu"), reference, rtol=1e-5, atol=1e-5)


def test_fit_on_a_cnn_leaves_weights_in_the_default_layout_and_is_deterministic():
    from helpers.models import ReportCNN

    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(256, 1, 28, 28, generator=g), torch.randint(0, 10, (256,), generator=g)
    states = []
    for _ in range(2):
        torch.manual_seed(0)
        model = ReportCNN(1, 28)
        hist = T.fit(model, (x, y), (x[:64], y[:64]), epochs=2, batch_size=64, device="cpu", progress=False)
        assert all(p.is_contiguous() for p in model.parameters())
        model.features[3].weight.view(64, -1)  # what the analysis chapters do
        states.append((hist.train_loss, [p.detach().clone() for p in model.parameters()]))
    assert states[0][0] == states[1][0]
    for a, b in zip(states[0][1], states[1][1]):
        assert torch.equal(a, b)


# FitConfig: the training settings exist once, as the argument and the cache key.

CHANGED = {
    "epochs": 2,
    "batch_size": 64,
    "lr": 2e-3,
    "optimizer": "sgd",
    "weight_decay": 1e-4,
    "momentum": 0.5,
    "seed": 1,
    "schedule": "cosine",
}


def test_changed_values_cover_every_setting_and_differ_from_the_defaults():
    assert set(CHANGED) == set(T.FitConfig.settings())
    defaults = T.FitConfig().as_dict()
    assert all(CHANGED[k] != defaults[k] for k in CHANGED)


def test_checkpoint_key_is_stable_and_changes_with_every_setting():
    x, y = blobs(n=40)
    model = mlp()
    base = T.checkpoint_path("net", model, (x, y))
    assert T.checkpoint_path("net", model, (x, y)) == base
    assert T.checkpoint_path("net", model, (x, y), config=T.FitConfig()) == base
    paths = {base}
    for name, value in CHANGED.items():
        by_config = T.checkpoint_path("net", model, (x, y), config=T.FitConfig(**{name: value}))
        by_keyword = T.checkpoint_path("net", model, (x, y), **{name: value})
        assert by_config == by_keyword, name
        paths.add(by_config)
    assert len(paths) == 1 + len(CHANGED)


def test_equal_settings_written_differently_are_one_config_and_one_key():
    x, y = blobs(n=40)
    a = T.FitConfig(lr=1, optimizer="Adam", epochs=np.int64(3), schedule="Cosine")
    b = T.FitConfig(lr=1.0, optimizer="adam", epochs=3, schedule="cosine")
    assert a == b and hash(a) == hash(b)
    assert type(a.lr) is float and type(a.epochs) is int
    assert T.checkpoint_path("net", mlp(), (x, y), config=a) == T.checkpoint_path("net", mlp(), (x, y), config=b)


def test_training_defaults_are_written_only_in_fitconfig():
    import dataclasses
    import inspect

    from helpers import zoo

    settings = set(T.FitConfig.settings())
    for fn in (
        T.fit,
        T.cross_validate,
        T.train_or_load,
        T.checkpoint_path,
        zoo.tinyconvnet_mnist,
        zoo.reportcnn_fashion,
    ):
        params = inspect.signature(fn).parameters
        assert not settings & set(params), f"{fn.__name__} retypes {sorted(settings & set(params))}"
        if "config" in params:
            assert params["config"].default is None, fn.__name__
    defaults = {f.name: f.default for f in dataclasses.fields(T.FitConfig)}
    assert T.FitConfig().as_dict() == defaults


def test_train_or_load_without_settings_uses_the_config_defaults(private_cache):
    x, y = blobs(n=64)
    T.train_or_load(mlp, (x, y), name="blobs", device="cpu", progress=False)
    (ckpt,) = (private_cache / "checkpoints").iterdir()
    meta = torch.load(ckpt, weights_only=True)["meta"]
    assert meta["settings"] == T.FitConfig().as_dict()
    assert ckpt == T.checkpoint_path("blobs", mlp(), (x, y))


def test_unknown_settings_are_refused_everywhere():
    x, y = blobs(n=40)
    calls = {
        "fit": lambda: T.fit(mlp(), (x, y), epoch=2),
        "cross_validate": lambda: T.cross_validate(mlp, (x, y), epoch=2),
        "train_or_load": lambda: T.train_or_load(mlp, (x, y), name="b", epoch=2),
        "checkpoint_path": lambda: T.checkpoint_path("b", mlp(), (x, y), epoch=2),
        "build": lambda: T.FitConfig.build(epoch=2),
        "replace": lambda: T.FitConfig().replace(epoch=2),
    }
    for name, call in calls.items():
        with pytest.raises(TypeError, match=r"unknown training setting\(s\) \['epoch'\] \(did you mean 'epochs'\?\)"):
            call()
            pytest.fail(f"{name} accepted an unknown setting")
    with pytest.raises(TypeError, match="unknown training setting.*'gamma'.*known: epochs, batch_size"):
        T.fit(mlp(), (x, y), gamma=0.1)


def test_fit_config_checks_its_values_and_is_frozen():
    import dataclasses

    for bad, message in (
        (dict(epochs=0), "epochs must be a positive integer"),
        (dict(epochs=2.5), "epochs must be an integer, got 2.5"),
        (dict(batch_size=True), "batch_size must be an integer, got True"),
        (dict(lr=0), r"lr \(the learning rate\) must be a number > 0"),
        (dict(lr=float("nan")), r"lr \(the learning rate\) must be a number, got NaN"),
        (dict(weight_decay=-1e-4), "weight_decay must be a number >= 0"),
        (dict(momentum="high"), "momentum must be a real number, got 'high'"),
        (dict(optimizer="rmsprop"), "unknown optimizer 'rmsprop'; use one of adam, sgd, adamw"),
        (dict(schedule="step"), "unknown schedule 'step'"),
        (dict(seed=-1), "seed must be an integer from 0 to 4294967295"),
    ):
        with pytest.raises((TypeError, ValueError), match=message):
            T.FitConfig(**bad)
        with pytest.raises((TypeError, ValueError), match=message):
            T.FitConfig().replace(**bad)
    with pytest.raises(dataclasses.FrozenInstanceError):
        T.FitConfig().epochs = 3
    with pytest.raises(TypeError, match="config must be a helpers.train.FitConfig, got dict"):
        T.fit(mlp(), blobs(n=40), config={"epochs": 2})


def test_keyword_calls_and_config_calls_train_the_same_model(private_cache):
    x, y = blobs(n=96)
    config = T.FitConfig(epochs=3, batch_size=32, lr=1e-2, seed=4, schedule="cosine")
    weights = []
    for kwargs in (
        config.as_dict(),
        {"config": config},
        {"config": T.FitConfig(epochs=1, seed=4), "epochs": 3, "batch_size": 32, "lr": 1e-2, "schedule": "cosine"},
    ):
        torch.manual_seed(0)
        model = mlp()
        hist = T.fit(model, (x, y), device="cpu", progress=False, **kwargs)
        weights.append((hist.train_loss, torch.cat([p.detach().flatten() for p in model.parameters()])))
    for losses, w in weights[1:]:
        assert losses == weights[0][0] and torch.equal(w, weights[0][1])
    # the old keyword call and the config call share one checkpoint
    kw = dict(name="blobs", device="cpu", progress=False)
    _, _, loaded_kw = T.train_or_load(mlp, (x, y), **kw, **config.as_dict())
    _, _, loaded_cfg = T.train_or_load(mlp, (x, y), config=config, **kw)
    _, _, loaded_mixed = T.train_or_load(mlp, (x, y), config=config.replace(epochs=1), epochs=3, **kw)
    assert (loaded_kw, loaded_cfg, loaded_mixed) == (False, True, True)
    assert len(list((private_cache / "checkpoints").iterdir())) == 1


def test_cross_validate_takes_the_seed_from_the_config():
    x, y = blobs(n=80)
    kw = dict(k=2, device="cpu", progress=False)
    by_keyword = T.cross_validate(mlp, (x, y), epochs=2, seed=3, **kw)
    by_config = T.cross_validate(mlp, (x, y), config=T.FitConfig(epochs=2, seed=3), **kw)
    assert by_keyword.scores == by_config.scores
    assert [h.train_loss for h in by_keyword.histories] == [h.train_loss for h in by_config.histories]


# settings of other steps that share a name with a training setting
OWN_SETTINGS = {
    "predict": {"batch_size"},  # the inference batch
    "evaluate": {"batch_size"},
    "stratified_folds": {"seed"},  # the split's seed; cross_validate passes the config's
}


def test_no_training_default_is_retyped_in_the_code_that_trains():
    """No dict of settings and no parameter named like a FitConfig field outside FitConfig itself."""
    import ast
    from pathlib import Path

    import helpers

    settings = set(T.FitConfig.settings())
    for module in ("train", "zoo"):
        tree = ast.parse((Path(helpers.__file__).parent / f"{module}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == "FitConfig":
                node.body = []  # the one place the defaults are written
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                assert not keys & settings, f"helpers/{module}.py line {node.lineno} retypes {keys & settings}"
            if isinstance(node, ast.FunctionDef):
                a = node.args
                names = {arg.arg for arg in a.args + a.kwonlyargs + a.posonlyargs} & settings
                names -= OWN_SETTINGS.get(node.name, set())
                assert not names, f"helpers/{module}.py: {node.name} has a parameter named {names}"


def test_fit_refuses_labels_that_are_not_class_indices():
    from helpers.models import TinyConvNet
    from helpers.train import fit

    x = torch.zeros(4, 1, 28, 28)
    with pytest.raises(ValueError, match=r"non-integer floats \(e.g. 0.5\)"):
        fit(TinyConvNet(), (x, torch.tensor([0.0, 0.5, 1.0, 2.0])), epochs=1, device="cpu", progress=False)
    with pytest.raises(TypeError, match="integer class indices, got dtype torch.bool"):
        fit(TinyConvNet(), (x, torch.tensor([True, False, True, False])), epochs=1, device="cpu", progress=False)
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\), got \(4, 1\)"):
        fit(TinyConvNet(), (x, torch.zeros(4, 1, dtype=torch.long)), epochs=1, device="cpu", progress=False)
    # whole-number floats are class indices written as floats: accepted
    fit(TinyConvNet(), (x, torch.tensor([0.0, 1.0, 2.0, 3.0])), epochs=1, device="cpu", progress=False)
