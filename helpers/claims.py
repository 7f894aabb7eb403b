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
    """
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError("claim must be the sentence being checked, as a non-empty string.")
    if not hasattr(cfg, "quick"):
        raise TypeError(f"cfg must be the chapter's Config (from helpers.setup), got {type(cfg).__name__}.")
    try:
        arr = np.asarray(condition.detach().cpu() if hasattr(condition, "detach") else condition)
    except Exception:  # pragma: no cover - anything numpy cannot read
        arr = None
    if arr is None or arr.size != 1 or arr.dtype.kind not in "bui":
        raise TypeError(f"condition must be a single boolean (the comparison behind the claim), got {condition!r}.")
    holds = bool(arr.reshape(()))
    if holds:
        print(f"✓ claim holds: {claim}")
    elif cfg.quick:
        print(f"⚠ quick mode: the claim does not hold on this small run (full mode would stop here): {claim}")
    else:
        raise ClaimError(
            f"the book says '{claim}', but this run contradicts it. Rewrite the sentence "
            "from the new numbers, or find out what changed."
        )
    return holds
