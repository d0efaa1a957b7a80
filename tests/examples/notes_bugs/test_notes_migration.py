import os

import notes
from hypothesis import strategies as st

from pytest_dualwrite import DualWrite

OVERRIDE = {"nul": st.just("a\x00b"), "surrogate": st.just("a\ud800b")}.get(
    os.environ.get("DW_OVERRIDE", ""))

notes_to_v2 = DualWrite(
    old="notes",
    new="notes_v2",
    key="id",
    columns={"body": "content"},
    expand=2,
    write=notes.write,
    delete=notes.delete,
    backfill=notes.backfill,
    strategies={"body": OVERRIDE} if OVERRIDE is not None else None,
)
