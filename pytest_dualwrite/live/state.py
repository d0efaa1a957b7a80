"""The resume file: where a run got to, and what it had found, after every key range.

Ranges run in key order, so "where" is one key: every range below it is finished. With
the totals and the differences shown so far, that is all a restarted run needs: it starts
at that key and re-reads at most the range that was running when the first run stopped.
The file is replaced atomically (written beside, then renamed), so a kill while writing
leaves the previous position, never half a file.

Keys and values keep their Python types through JSON (`encode`/`decode`): a resumed
range starts at exactly the key it stopped at, and a datetime shown from the file prints
as the one fetched.
"""

from __future__ import annotations

import base64
import json
import math
import os
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..dualwrite.compare import Counts, Duplicate, FieldDiff
from ..errors import ConfigError

VERSION = 1


def encode(value: Any) -> Any:
    """A value as JSON that `decode` turns back into the same Python value."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, time):
        return {"$time": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$timedelta": value.total_seconds()}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$bytes": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    return {"$repr": repr(value)}  # shown, never compared again


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "$float": float,
    "$decimal": Decimal,
    "$datetime": datetime.fromisoformat,
    "$date": date.fromisoformat,
    "$time": time.fromisoformat,
    "$timedelta": lambda s: timedelta(seconds=s),
    "$uuid": uuid.UUID,
    "$bytes": base64.b64decode,
    "$repr": str,
}


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        ((tag, inner),) = value.items()
        if tag == "$tuple":
            return tuple(decode(v) for v in inner)
        if tag == "$dict":
            return {decode(k): decode(v) for k, v in inner}
        return _DECODERS[tag](inner)
    return value


@dataclass
class State:
    """A run's position and findings; `identity` says which run it belongs to."""

    identity: dict[str, Any]
    after: tuple[Any, ...] | None = None  # every range below this key is finished
    ranges_done: bool = False  # the last range (up to the highest key) is finished
    nulls_done: bool = False  # the range of keys holding a NULL is finished
    chunks: int = 0
    chunks_read: int = 0
    chunks_differing: int = 0
    chunks_skipped: int = 0
    rows: int = 0
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=lambda: asdict(Counts()))
    missing: list[dict[str, Any]] = field(default_factory=list)
    extra: list[dict[str, Any]] = field(default_factory=list)
    changed: list[FieldDiff] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    finished: bool = False

    def save(self, path: Path) -> None:
        data = {
            "version": VERSION,
            "identity": self.identity,
            "after": encode(self.after),
            "ranges_done": self.ranges_done,
            "nulls_done": self.nulls_done,
            "chunks": self.chunks,
            "chunks_read": self.chunks_read,
            "chunks_differing": self.chunks_differing,
            "chunks_skipped": self.chunks_skipped,
            "rows": self.rows,
            "seconds": self.seconds,
            "counts": self.counts,
            "missing": encode(self.missing),
            "extra": encode(self.extra),
            "changed": [
                [encode(d.key), d.field, encode(d.old_value), encode(d.new_value)]
                for d in self.changed
            ],
            "duplicates": [[encode(d.key), d.old_count, d.new_count] for d in self.duplicates],
            "finished": self.finished,
        }
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(data) + "\n")
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path, identity: dict[str, Any]) -> State:
        """The state in `path`; a fresh one when there is no file yet."""
        if not path.exists():
            return cls(identity)
        try:
            data = json.loads(path.read_text())
            if data.get("version") != VERSION:
                raise ValueError(f"version {data.get('version')!r}, expected {VERSION}")
            if data["identity"] != identity:
                theirs = data["identity"]
                what = [k for k in sorted({*identity, *theirs}) if identity.get(k) != theirs.get(k)]
                raise ConfigError(
                    f"--resume {path}: written by another run (its "
                    f"{', '.join(what)} differ); delete it or give another file"
                )
            return cls(
                identity,
                decode(data["after"]),
                data["ranges_done"],
                data["nulls_done"],
                data["chunks"],
                data["chunks_read"],
                data["chunks_differing"],
                data["chunks_skipped"],
                data["rows"],
                data["seconds"],
                data["counts"],
                decode(data["missing"]),
                decode(data["extra"]),
                [FieldDiff(decode(k), f, decode(o), decode(n)) for k, f, o, n in data["changed"]],
                [Duplicate(decode(k), o, n) for k, o, n in data["duplicates"]],
                data["finished"],
            )
        except ConfigError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"--resume {path}: not a resume file this version wrote "
                f"({type(exc).__name__}: {exc})"
            ) from None
