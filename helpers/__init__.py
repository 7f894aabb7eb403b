"""Helpers shared by the chapters of *Linear Algebraic Approaches to Image Classification*.

One module per concern, imported in one direction (see ``DESIGN.md``), each
introduced by one chapter (``MODULE_CHAPTERS`` below; ``tests/test_init.py``
keeps it complete):

==================  ====================================================  ==========================
module              what it holds                                         introduced in
==================  ====================================================  ==========================
``config``          quick/full mode, device, seeding, cache directory     00 The datasets
``data``            MNIST, Fashion-MNIST, CIFAR-10 as in-memory tensors   00 The datasets
``plotting``        figures and slider pictures shared by chapters        00 The datasets
``publish``         ``glue`` and ``glued``: numbers quoted in the prose   00 The datasets
``selfcheck``       the exercises' self-checks                            00 The datasets
``claims``          guards for sentences that depend on a run             00 The datasets
``svd``             the SVD and what it does to images                    01 SVD from scratch
``widgets``         sliders with static twins                             01 SVD from scratch
``cs``              compressive sensing and random measurements           02 Compressive sensing
``structured``      parametric models, convolutions as matrices           03 Structured matrices
``bench``           honest wall-clock timing                              03 Structured matrices
``models``          the networks of the book                              04 Training TinyConvNet
``train``           fit / evaluate / cross-validate, cached checkpoints   04 Training TinyConvNet
``zoo``             trained models shared between chapters                04 Training TinyConvNet
``cache``           atomic writes and cache keys for derived files        04 Training TinyConvNet
``conv_svd``        every convolutional layer as an SVD                   05 Conv layers are SVDs
``lowrank``         low-rank compression of convolutions                  06 Low-rank compression
``perf``            speed settings, opt-in: allocator, threads, layout    06 Low-rank compression
``projections``     random and learned (PCA) projections                  07 Random projections
``double_descent``  random features and double descent                    08 Double descent
==================  ====================================================  ==========================

One module is plumbing that no chapter teaches (``INTERNAL_MODULES``):
``validate`` holds the checks every helper makes on its arguments, so that a
wrong type, shape, dtype or value gets a message naming the argument.

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

#: The chapter (a notebook in ``book/``) that introduces each module.
MODULE_CHAPTERS = {
    "config": "00_datasets",
    "data": "00_datasets",
    "plotting": "00_datasets",
    "publish": "00_datasets",
    "selfcheck": "00_datasets",
    "claims": "00_datasets",
    "svd": "01_svd",
    "widgets": "01_svd",
    "cs": "02_compressive_sensing",
    "structured": "03_structured_matrices",
    "bench": "03_structured_matrices",
    "models": "04_training_tinyconvnet",
    "train": "04_training_tinyconvnet",
    "zoo": "04_training_tinyconvnet",
    "cache": "04_training_tinyconvnet",
    "conv_svd": "05_conv_layers_svd",
    "lowrank": "06_low_rank_compression",
    "perf": "06_low_rank_compression",
    "projections": "07_random_projections",
    "double_descent": "08_double_descent",
}

#: Modules no chapter teaches: the plumbing every other module uses.
INTERNAL_MODULES = ("validate",)

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
