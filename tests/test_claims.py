import numpy as np
import pytest
import torch

from helpers.claims import ClaimError, expect
from helpers.config import setup


@pytest.fixture
def cfgs():
    return setup(quick=False, device="cpu", seed=0), setup(quick=True, device="cpu", seed=0)


def test_a_true_claim_passes_in_both_modes(cfgs, capsys):
    for cfg in cfgs:
        assert expect(3 > 2, "three beats two", cfg) is True
    assert capsys.readouterr().out.count("✓ claim holds: three beats two") == 2


def test_a_false_claim_fails_full_mode_and_is_noted_in_quick_mode(cfgs, capsys):
    full, quick = cfgs
    with pytest.raises(ClaimError, match="the book says 'two beats three'"):
        expect(2 > 3, "two beats three", full)
    assert expect(np.float64(2) > 3, "two beats three", quick) is False
    assert "quick mode: the claim does not hold" in capsys.readouterr().out
    assert isinstance(ClaimError("x"), AssertionError)


def test_numpy_and_torch_booleans(cfgs):
    full, _ = cfgs
    assert expect(np.bool_(True), "numpy", full)
    assert expect(torch.tensor(True), "torch", full)
    with pytest.raises(ClaimError):
        expect(torch.tensor([False]), "one-element tensor", full)


def test_bad_input(cfgs):
    full, _ = cfgs
    with pytest.raises(TypeError, match="single boolean"):
        expect(np.array([True, False]), "two values", full)
    with pytest.raises(TypeError, match="single boolean"):
        expect(0.5, "a float is not a comparison", full)
    with pytest.raises(ValueError, match="non-empty string"):
        expect(True, "  ", full)
    with pytest.raises(TypeError, match="Config"):
        expect(True, "claim", None)
