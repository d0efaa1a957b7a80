"""`verify`: a spec's comparison run against a real (staging, replica) database, read-only.

The plugin's items compare `old` and `new` on small databases they create. Here the
database is the user's, possibly 10^8 rows, and possibly production: so the comparison
runs in key ranges (`keys`), each its own short READ ONLY transaction with a statement
timeout (`readonly`), as one hash aggregate per side inside the database (`chunk_query`);
only a range whose hashes differ is compared exactly, by the plugin's own comparer, and
only then are rows fetched. The position after each range is written to a resume file
(`state`). `run` drives it; `cli` is the `python -m pytest_dualwrite verify` command.

Plain Python, no pytest import: `dualwrite_verify(engine, spec)` runs from a staging job or
from a hand-written test alike.
"""

from __future__ import annotations

from .run import VerifyResult, dualwrite_verify

__all__ = ["VerifyResult", "dualwrite_verify"]
