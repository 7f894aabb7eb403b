"""helpers.zoo: each entry resolves to the right model, data and training settings, and caches it.

The training runs use the tiny fake datasets of ``conftest.fake_root`` (60
training and 30 test images), so they take a second.
"""

import pytest
import torch

import helpers
from helpers import train as T
from helpers import zoo
from helpers.models import ReportCNN, TinyConvNet
from helpers.train import FitConfig

QUICK = helpers.setup(quick=True, device="cpu", seed=0)
FULL = helpers.setup(quick=False, device="cpu", seed=0)


def test_recipes_hold_the_books_settings_for_each_mode():
    tiny = FitConfig(epochs=20, batch_size=64, lr=2e-3, optimizer="adam", schedule="cosine")
    assert zoo.tinyconvnet_recipe(FULL) == zoo.Recipe(tiny, None)
    assert zoo.tinyconvnet_recipe(QUICK) == zoo.Recipe(tiny.replace(epochs=1), 10_000)
    report = FitConfig(epochs=6, batch_size=128, lr=2e-3, optimizer="adam", schedule="cosine")
    assert zoo.reportcnn_recipe(FULL) == zoo.Recipe(report, None)
    assert zoo.reportcnn_recipe(QUICK) == zoo.Recipe(report.replace(epochs=1), 5_000)
    # the settings a recipe leaves unset are fit's defaults, from FitConfig alone
    assert zoo.TINYCONVNET_FULL.fit.weight_decay == FitConfig().weight_decay


def test_recipes_take_the_seed_from_the_chapter_and_apply_overrides():
    cfg = helpers.setup(quick=True, device="cpu", seed=7)
    recipe = zoo.tinyconvnet_recipe(cfg, epochs=3, lr=None, optimizer="sgd", train_subset=None)
    assert recipe.fit.seed == 7 and recipe.fit.epochs == 3 and recipe.fit.optimizer == "sgd"
    assert recipe.fit.lr == zoo.TINYCONVNET_QUICK.fit.lr  # None keeps the recipe's value
    assert recipe.train_subset is None  # ... except for train_subset, where None means all
    settings = zoo.tinyconvnet_settings(cfg, epochs=3)
    assert settings == {**zoo.tinyconvnet_recipe(cfg, epochs=3).fit.as_dict(), "train_subset": 10_000}


def test_recipes_refuse_unknown_settings_the_seed_and_a_wrong_cfg():
    with pytest.raises(TypeError, match=r"unknown TinyConvNet setting\(s\) \['epoch'\]; known: .*'epochs'"):
        zoo.tinyconvnet_recipe(QUICK, epoch=3)
    with pytest.raises(TypeError, match=r"unknown report CNN setting\(s\) \['seed'\]"):
        zoo.reportcnn_recipe(QUICK, seed=3)
    with pytest.raises(ValueError, match="epochs must be a positive integer"):
        zoo.tinyconvnet_recipe(QUICK, epochs=0)
    with pytest.raises(TypeError, match=r"expected the chapter's Config \(cfg = helpers.setup"):
        zoo.tinyconvnet_recipe({"quick": True})


def _weights(model):
    return torch.cat([p.detach().flatten() for p in model.parameters()])


def test_tinyconvnet_mnist_trains_on_mnist_then_loads(fake_root, private_cache):
    model, hist, loaded, (train, test), settings = zoo.tinyconvnet_mnist(
        QUICK, data_root=fake_root, progress=False, train_subset=None
    )
    recipe = zoo.tinyconvnet_recipe(QUICK, train_subset=None)
    assert isinstance(model, TinyConvNet) and not loaded
    assert (len(train), len(test)) == (60, 30) and train.name == "mnist"
    assert settings == recipe.as_dict()
    assert hist.epochs == recipe.fit.epochs and len(hist.test_acc) == 1  # evaluated on the test split
    (ckpt,) = (private_cache / "checkpoints").iterdir()
    assert ckpt == T.checkpoint_path("tinyconvnet-mnist", TinyConvNet(), train, test, config=recipe.fit)
    again, hist2, loaded2, _, _ = zoo.tinyconvnet_mnist(QUICK, data_root=fake_root, progress=False, train_subset=None)
    assert loaded2 and hist2.as_dict() == hist.as_dict() and torch.equal(_weights(again), _weights(model))
    _, _, loaded3, _, _ = zoo.tinyconvnet_mnist(
        QUICK, data_root=fake_root, progress=False, train_subset=None, batch_size=32
    )
    assert not loaded3 and len(list((private_cache / "checkpoints").iterdir())) == 2


def test_reportcnn_fashion_trains_on_fashion_mnist_without_its_test_split(fake_root, private_cache):
    model, hist, loaded, (train, test), settings = zoo.reportcnn_fashion(
        QUICK, data_root=fake_root, progress=False, train_subset=40
    )
    recipe = zoo.reportcnn_recipe(QUICK, train_subset=40)
    assert isinstance(model, ReportCNN) and not loaded and settings == recipe.as_dict()
    assert train.name == "fashion-mnist" and (len(train), len(test)) == (40, 30)
    assert train.images.shape[1:] == (1, 28, 28)
    assert hist.epochs == 1 and hist.test_acc == []  # the test split was never used
    (ckpt,) = (private_cache / "checkpoints").iterdir()
    torch.manual_seed(0)
    assert ckpt == T.checkpoint_path("reportcnn-fashion", ReportCNN(1, 28), train, None, config=recipe.fit)


@pytest.mark.parametrize(
    "entry, name, model_type, epochs",
    [
        (zoo.tinyconvnet_mnist, "tinyconvnet-mnist", TinyConvNet, 20),
        (zoo.reportcnn_fashion, "reportcnn-fashion", ReportCNN, 6),
    ],
)
def test_full_mode_entries_ask_train_or_load_for_the_full_recipe(
    fake_root, monkeypatch, entry, name, model_type, epochs
):
    asked = {}

    def fake_train_or_load(make_model, train, test=None, **kwargs):
        asked.update(kwargs, model=make_model(), n_train=len(train), test=test)
        return asked["model"], T.History(), True

    monkeypatch.setattr(zoo, "train_or_load", fake_train_or_load)
    cfg = helpers.setup(quick=False, device="cpu", seed=5)
    *_, settings = entry(cfg, data_root=fake_root, progress=False, retrain=True)
    assert asked["name"] == name and isinstance(asked["model"], model_type)
    assert asked["config"].epochs == epochs and asked["config"].seed == 5
    assert asked["retrain"] is True and str(asked["device"]) == "cpu" and asked["progress"] is False
    assert asked["n_train"] == 60  # full mode: the whole training split
    assert (asked["test"] is None) == (name == "reportcnn-fashion")
    assert settings == {**asked["config"].as_dict(), "train_subset": None}
