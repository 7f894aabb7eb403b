"""Guards for the sentences of the book whose truth depends on a run.

Used in every chapter. A sentence such as "the MLP on raw pixels beats the
MLP on projections" rests on glued numbers; right after them, a cell tagged
``remove-cell`` (hidden in the HTML) calls :func:`expect` with the condition
that makes the sentence true and the sentence itself::

    expect(raw_mean > proj_mean, "the MLP on raw pixels beats the MLP on projections", cfg)

In full mode, what a reader sees, a false claim raises :class:`ClaimError`,
which fails the build: the text can never silently contradict its numbers.
In quick mode, where a few hundred images may legitimately reverse a result,
a false claim prints a visible note instead and the run goes on.
"""

from __future__ import annotations

import numpy as np

from .validate import describe

__all__ = ["ClaimError", "expect"]


class ClaimError(AssertionError):
    """A sentence of the book is contradicted by the numbers of this run."""


def expect(condition, claim: str, cfg) -> bool:
    """Check that ``claim`` holds on this run; fail loudly in full mode when it does not.

    Parameters
    ----------
    condition : bool
        The comparison that makes the sentence true (a Python or NumPy bool,
        or a one-element tensor/array).
    claim : str
        The sentence, or its gist, as the chapter states it.
    cfg : helpers.config.Config
        The chapter's configuration (``cfg.quick`` decides between failing
        and noting).

    Returns
    -------
    bool
        Whether the claim holds.

    Raises
    ------
    ClaimError
        In full mode, when the claim is false.
    TypeError, ValueError
        If ``condition`` is not one boolean (a number such as a count is
        refused: it is not a comparison), ``claim`` is not a non-empty string
        or ``cfg`` has no boolean ``quick``.
    """
    if not isinstance(claim, str):
        raise TypeError(f"claim must be the sentence being checked, as a string; got {describe(claim)}.")
    if not claim.strip():
        raise ValueError("claim must be the sentence being checked, as a non-empty string.")
    quick = getattr(cfg, "quick", None)
    if not isinstance(quick, (bool, np.bool_)):
        raise TypeError(
            "cfg must be the chapter's Config (from helpers.setup), whose .quick is True or False; "
            f"got {describe(cfg)}."
        )
    arr = _one_boolean(condition)
    holds = bool(arr.reshape(()))
    if holds:
        print(f"✓ claim holds: {claim}")
    elif quick:
        print(f"⚠ quick mode: the claim does not hold on this small run (full mode would stop here): {claim}")
    else:
        raise ClaimError(
            f"the book says '{claim}', but this run contradicts it. Rewrite the sentence "
            "from the new numbers, or find out what changed."
        )
    return holds


def _one_boolean(condition) -> np.ndarray:
    """``condition`` as a NumPy array holding one boolean, else a TypeError.

    A number is refused, not read as true or false: ``expect(count, ...)``
    would otherwise pass whenever the count is not zero, whatever the claim.
    """
    if hasattr(condition, "detach"):  # a torch tensor, possibly on the GPU
        condition = condition.detach().cpu()
    try:
        arr = np.asarray(condition)
    except Exception:  # anything NumPy cannot read (ragged lists, ...)
        arr = None
    if arr is None or arr.size != 1 or arr.dtype.kind != "b":
        what = describe(condition)
        hint = (
            " (a number, not a comparison: write e.g. count > 0)"
            if arr is not None and arr.dtype.kind in "iufc"
            else ""
        )
        raise TypeError(f"condition must be a single boolean (the comparison behind the claim), got {what}{hint}.")
    return arr
