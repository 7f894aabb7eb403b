"""Census of how the helpers answer generic bad input, beyond the batteries' own kinds.

The ``tests/test_bad_input_*.py`` batteries try, for each argument, the bad
values of its kind. This tool takes every battery's valid calls and replaces
each argument in turn by the same dozen generic bad values (``True``, ``None``,
a string, -1, 0, 2.5, NaN, inf, a complex number, an empty list, a 5-D array,
a bare object), and sorts what happens:

* **clear**: a ``TypeError``/``ValueError`` naming the argument (the standard);
* **unnamed**: a ``TypeError``/``ValueError`` that does not name it;
* **other**: any other exception (library-internal errors, or the book's own
  ``CacheError``/``DataUnavailableError``, listed so a reader can judge);
* **accepted**: the call returned (often right: 0 is a fine seed).

It prints the counts and every unnamed or other case. Run from the
repository root::

    .venv/bin/python tools/bad_input_census.py            # every battery
    .venv/bin/python tools/bad_input_census.py svd cs     # some modules

Calls run in a temporary working folder with a temporary cache, so a value
such as ``"abc"`` passed as a path writes nothing into the checkout.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import os
import signal
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests"


def generic_values() -> list:
    import numpy as np

    return [True, None, "abc", -1, 0, 2.5, float("nan"), float("inf"), 1j, [], np.ones((2, 2, 2, 2, 2)), object()]


class _Timeout(Exception):
    pass


def _on_alarm(*_):
    raise _Timeout


def census(modules: list[str] | None = None, timeout: int = 20) -> tuple[collections.Counter, list]:
    """Run the census over the batteries of ``modules`` (all when None); return the counts and the cases to read."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sys.path[:0] = [str(TESTS), str(ROOT)]
    from badinput import _valid

    from helpers import config

    files = sorted(TESTS.glob("test_bad_input_*.py"))
    names = [f.stem.removeprefix("test_bad_input_") for f in files]
    if modules:
        unknown = sorted(set(modules) - set(names))
        if unknown:
            raise SystemExit(f"bad_input_census: no battery for {', '.join(unknown)}; choose from {', '.join(names)}.")
        files = [f for f, n in zip(files, names) if n in modules]
    counts: collections.Counter = collections.Counter()
    notes = []
    signal.signal(signal.SIGALRM, _on_alarm)
    cache = config.cache_dir()
    for path in files:
        if path.stem.endswith("_tools"):
            continue  # the tools' battery drives main(argv), not helper calls
        for spec in getattr(importlib.import_module(path.stem), "SPECS", []):
            base = _valid(spec)
            for arg in base:
                for value in generic_values():
                    kwargs = dict(base, **{arg: value})
                    signal.alarm(timeout)
                    try:
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            spec.fn(**kwargs)
                        counts["accepted"] += 1
                    except (TypeError, ValueError) as err:
                        says = spec.says.get(arg, arg)
                        options = says if isinstance(says, (tuple, list)) else (says,)
                        text = str(err)
                        if any(o.lower() in text.lower() for o in options) or arg in text:
                            counts["clear"] += 1
                        else:
                            counts["unnamed"] += 1
                            notes.append(("unnamed", spec.name, arg, value, text))
                    except _Timeout:
                        counts["other"] += 1
                        notes.append(("other", spec.name, arg, value, f"still running after {timeout} s"))
                    except Exception as err:  # noqa: BLE001 - sorting them is the point
                        counts["other"] += 1
                        notes.append(("other", spec.name, arg, value, f"{type(err).__name__}: {err}"))
                    finally:
                        signal.alarm(0)
                        plt.close("all")
                        config.set_cache_dir(cache)
    return counts, notes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="battery names, e.g. svd cs (default: all)")
    parser.add_argument("--timeout", type=int, default=20, help="seconds before one call counts as stuck")
    args = parser.parse_args(argv)
    if args.timeout < 1:
        parser.error(f"--timeout must be at least 1 second, got {args.timeout}.")
    with tempfile.TemporaryDirectory(prefix="laaic-census-") as tmp:
        os.environ["LAAIC_CACHE_DIR"] = str(Path(tmp) / "cache")
        here = os.getcwd()
        os.chdir(tmp)
        try:
            counts, notes = census(args.modules or None, args.timeout)
        finally:
            os.chdir(here)
    total = sum(counts.values())
    for kind, name, arg, value, text in notes:
        first = text.splitlines()[0] if text else ""
        print(f"{kind:8s} {name}({arg}={str(value).splitlines()[0][:20]}): {first[:160]}")
    print(
        f"{total} calls: {counts['clear']} clear, {counts['unnamed']} unnamed, "
        f"{counts['other']} other, {counts['accepted']} accepted"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
