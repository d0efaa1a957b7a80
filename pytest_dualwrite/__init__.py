"""pytest-dualwrite: prove that database migrations lose no data."""

from __future__ import annotations

from .dualwrite.spec import Cutover, DualWrite
from .errors import DualWriteAssertion, DualWriteError
from .live import VerifyResult, dualwrite_verify

__version__ = "0.1.0"

__all__ = ["Cutover", "DualWrite", "DualWriteAssertion", "DualWriteError", "VerifyResult",
           "__version__", "dualwrite_verify"]
