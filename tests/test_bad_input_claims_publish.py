"""Bad input to every public function of ``helpers.claims`` and ``helpers.publish`` (see ``tests/badinput.py``)."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from badinput import NAN, bad_cases, check_bad, spec

from helpers import claims, publish
from helpers.config import setup


@pytest.fixture(autouse=True)
def fresh_store(monkeypatch):
    """Each test glues into an empty store; myst_nb's glue is replaced by a recorder."""
    monkeypatch.setattr(publish, "_GLUED", {})
    monkeypatch.setattr(publish, "_MYST_GLUE", lambda name, value, display=True: None)


def _expect_args():
    # quick mode: a valid but false claim would only print
    return {"condition": True, "claim": "three beats two", "cfg": setup(quick=True, device="cpu", seed=0)}


def _glued_args():
    publish._GLUED.update(acc=98.25, label="it's")
    return {"key": "acc:.1f"}


SPECS = [
    spec(
        claims.expect,
        _expect_args,
        {
            "condition": (
                [
                    1,
                    0,
                    0.5,
                    NAN,
                    "yes",
                    None,
                    np.int64(1),
                    np.array([True, False]),
                    np.array([], dtype=bool),
                    torch.tensor([1.0]),
                    torch.tensor(3),
                    [True, False],
                    [[True], [False, True]],
                ]
            ),
            "claim": ([3, None, True, "", "   ", ["a claim"], b"a claim"]),
            "cfg": ([None, "cfg", 3, {"quick": True}, SimpleNamespace(quick=1), SimpleNamespace(quick=None)]),
        },
    ),
    spec(
        publish.glue,
        {"name": "acc", "variable": 98.25, "display": False},
        {"name": ([3, None, True, 1.5, b"acc", "", "   ", ["acc"]]), "display": "flag"},
    ),
    spec(
        publish.glued,
        _glued_args,
        {"key": ([3, None, True, 1.5, b"acc", ["acc"], "", "  "])},
        extra=[("key", "acc:.2q"), ("key", "acc:q"), ("key", "label:.2f"), ("key", "label:d")],
        says={"key": ("key", "glued(")},
    ),
]


@pytest.mark.parametrize("s", SPECS, ids=lambda s: s.name)
def test_valid_calls_succeed(s):
    # otherwise a bad value could be "refused" for the valid call's own fault
    s.fn(**(s.factory() if s.factory is not None else s.valid))


@pytest.mark.parametrize("s, arg, value", bad_cases(SPECS))
def test_bad_input_is_refused_by_name(s, arg, value):
    check_bad(s, arg, value)


# Regression tests for the bugs the battery found.


@pytest.mark.parametrize("count", [1, 0, np.int64(7), torch.tensor(2)])
def test_expect_refuses_a_number_instead_of_a_comparison(count):
    # expect(n_errors, ...) used to pass whenever n_errors was not 0, whatever the claim.
    full = setup(quick=False, device="cpu", seed=0)
    with pytest.raises(TypeError, match=r"condition must be a single boolean .*a number, not a comparison"):
        claims.expect(count, "no errors", full)


def test_expect_still_takes_every_kind_of_one_boolean(capsys):
    full = setup(quick=False, device="cpu", seed=0)
    for condition in (True, np.bool_(True), torch.tensor(True), torch.tensor([True]), np.array([[True]])):
        assert claims.expect(condition, "holds", full) is True
    with pytest.raises(claims.ClaimError):
        claims.expect(np.float64(2) > 3, "two beats three", full)


def test_expect_checks_its_arguments_before_judging_the_claim():
    with pytest.raises(TypeError, match="claim must be the sentence"):
        claims.expect(False, 3, setup(quick=False, device="cpu", seed=0))


@pytest.mark.parametrize(
    "value, number",
    [
        (np.float64(0.5), 0.5),
        (np.float32(0.25), 0.25),
        (np.int64(3), 3),
        (torch.tensor(1.5), 1.5),
        (np.array(2.0), 2.0),
    ],
)
def test_glue_of_a_numpy_or_torch_scalar_reads_as_the_number(value, number):
    # np.float64(0.5) used to be glued as the text "np.float64(0.5)": glued("x:.2f")
    # failed with "could not convert string to float", and the prose showed the repr.
    publish.glue("x", value, display=False)
    assert type(publish._GLUED["x"]) is type(number) and publish._GLUED["x"] == number
    assert publish.glued("x:.2f") == f"{number:.2f}"
    assert publish.glued("x") == str(number)


def test_glue_hands_myst_nb_the_python_number(monkeypatch):
    seen = []
    monkeypatch.setattr(publish, "_MYST_GLUE", lambda name, value, display=True: seen.append(value))
    publish.glue("n", np.int64(5234), display=False)
    assert seen == [5234] and type(seen[0]) is int


def test_glue_keeps_arrays_and_other_objects_as_they_are():
    table = np.arange(3.0)
    publish.glue("t", table, display=False)
    assert publish._GLUED["t"] is table


def test_glued_with_a_format_that_does_not_fit_names_the_key():
    publish.glue("label", "cat", display=False)
    with pytest.raises(ValueError, match=r"glued\('label:.2f'\): the format '.2f' does not apply"):
        publish.glued("label:.2f")
    with pytest.raises(KeyError, match="nothing glued under 'missing'"):
        publish.glued("missing:.2f")
