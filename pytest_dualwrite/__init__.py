"""pytest-dualwrite: prove that database migrations lose no data."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
