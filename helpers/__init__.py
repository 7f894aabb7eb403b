"""Helpers shared by the chapters of *Linear Algebraic Approaches to Image Classification*.

One module per concern, imported in one direction (see ``DESIGN.md``):

- :mod:`helpers.config`   quick/full mode, device, seeding, cache directory
- :mod:`helpers.cache`    atomic writes and cache keys for derived files
- :mod:`helpers.data`     MNIST, Fashion-MNIST, CIFAR-10 as in-memory tensors
- :mod:`helpers.models`   the networks of the book
- :mod:`helpers.train`    fit / evaluate / cross-validate, cached checkpoints
- :mod:`helpers.plotting` figures shared by chapters
- :mod:`helpers.claims`   guards for the sentences that depend on a run (every chapter)
- :mod:`helpers.publish`  ``glue`` (``myst_nb.glue``, or a plain display where myst_nb is
  absent) and ``glued`` for the prose's ``{eval}`` roles

The most used names are available at the top level::

    import helpers
    cfg = helpers.setup(quick=None, device="auto", seed=0)
    train = helpers.load("mnist", "train")
"""

from .cache import CacheError
from .config import Config, cache_dir, get_device, is_quick, seed_everything, set_cache_dir, setup
from .data import DataUnavailableError, ImageData, load, load_splits
from .publish import glue, glued

__version__ = "0.1.0"

__all__ = [
    "CacheError",
    "Config",
    "DataUnavailableError",
    "ImageData",
    "cache_dir",
    "get_device",
    "glue",
    "glued",
    "is_quick",
    "load",
    "load_splits",
    "seed_everything",
    "set_cache_dir",
    "setup",
]
