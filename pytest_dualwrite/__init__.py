"""pytest-dualwrite: prove that database migrations lose no data."""

from __future__ import annotations

from .dualwrite.spec import Cutover, DualWrite
from .errors import DualWriteAssertion, DualWriteError

__version__ = "0.1.0"

__all__ = ["Cutover", "DualWrite", "DualWriteAssertion", "DualWriteError", "__version__"]
