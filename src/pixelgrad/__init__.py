"""pixelgrad: fast, exact, batched image augmentation and restoration on CPU and GPU.

>>> import torch, pixelgrad as pg
>>> y = pg.gaussian_blur(torch.rand(4, 3, 32, 32), sigma=2.0)
"""
from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional_all
from .borders import BORDERS
from . import augment  # noqa: E402  (pg.augment)
from . import restore  # noqa: E402  (pg.restore)
from . import types  # noqa: E402  (pg.types: the named argument types)

__version__ = "0.1.0"
__all__ = list(_functional_all) + ["BORDERS", "__version__"]
