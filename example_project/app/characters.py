"""characters -> a JSON document store (scenario 4, migrations 012-013).

The store is a folder with one JSON file per character, `<id>.json`:

    {"id": 7, "name": "Ilse", "character_class": "ranger", "level": 3, "bio": null}

The folder is `CHARACTER_STORE_DIR` when set, else a folder per process under the system
temporary folder (so parallel test workers never share one). `character_exports`
(migration 013) records which character was exported with which checksum.

A file write cannot join the database transaction, so each function does its database
work first and touches the store last: when the database refuses a write (a duplicate
id), nothing reaches the store. The backfill is the export: write each document, read it
back, check it says what the row says, record the checksum.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .db import broken, pages, upsert
from .models import table

characters = table("characters")
exports = table("character_exports")

STORE_ENV = "CHARACTER_STORE_DIR"
BATCH_SIZE = 200

# row column -> document field
TO_DOCUMENT = {"id": "id", "name": "name", "class": "character_class", "level": "level",
               "bio": "bio"}
TO_ROW = {field: column for column, field in TO_DOCUMENT.items()}


class ExportMismatch(Exception):
    """A document read back from the store does not say what the database row says."""


def store_dir() -> Path:
    """The store's folder (created on first use)."""
    configured = os.environ.get(STORE_ENV)
    folder = Path(configured) if configured else (
        Path(tempfile.gettempdir()) / f"dualwrite-example-characters-{os.getpid()}")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _path(character_id: int) -> Path:
    return store_dir() / f"{int(character_id)}.json"


def to_document(row: Mapping[str, Any]) -> dict[str, Any]:
    document = {TO_DOCUMENT[c]: row[c] for c in TO_DOCUMENT if c in row}
    if broken("bio-null-as-empty") and document.get("bio") is None:
        document["bio"] = ""  # the planted bug: "the store has no nulls"
    return document


def _encode(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _write(document: Mapping[str, Any]) -> str:
    """Write one document atomically (temporary file, then rename); its checksum."""
    data = _encode(document)
    path = _path(document["id"])
    partial = path.with_suffix(".json.partial")
    partial.write_bytes(data)
    partial.replace(path)
    return hashlib.sha256(data).hexdigest()


def _read(character_id: int) -> dict[str, Any] | None:
    try:
        return json.loads(_path(character_id).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        return None


def _current_row(conn: sa.Connection, character_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(characters).where(characters.c.id == character_id)
                       ).mappings().first()
    return dict(row) if row is not None else None


def _store(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    checksum = _write(to_document(row))
    upsert(conn, exports, {"character_id": row["id"], "checksum": checksum},
           key=["character_id"])


# --- the dual write ----------------------------------------------------------------------------

def create_character(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(characters), [{k: v for k, v in row.items() if k in characters.c}])
    stored = _current_row(conn, row["id"])  # with the defaults the database filled in
    assert stored is not None
    _store(conn, stored)


def update_character(conn: sa.Connection, character_id: int,
                     changes: Mapping[str, Any]) -> None:
    values = {k: v for k, v in changes.items() if k in characters.c and k != "id"}
    if values:
        conn.execute(sa.update(characters).where(characters.c.id == character_id)
                     .values(values))
    stored = _current_row(conn, character_id)
    if stored is not None:  # no such character: nothing to write anywhere
        _store(conn, stored)


def delete_character(conn: sa.Connection, character_id: int) -> None:
    conn.execute(sa.delete(characters).where(characters.c.id == character_id))
    _path(character_id).unlink(missing_ok=True)


def get_character(conn: sa.Connection, character_id: int) -> dict[str, Any] | None:
    """The migrated read path: the document when there is one, the row otherwise (not
    exported yet). In the table's column names, or None."""
    document = _read(character_id)
    if document is not None:
        return {TO_ROW[f]: v for f, v in document.items() if f in TO_ROW}
    return _current_row(conn, character_id)


# --- the store as the spec reads it, and its reset ---------------------------------------------

def all_documents(conn: sa.Connection) -> list[dict[str, Any]]:
    """Every document in the store (`conn` unused: the store is not in the database)."""
    return [json.loads(p.read_bytes().decode("utf-8"))
            for p in sorted(store_dir().glob("*.json"))]


def clear_store() -> None:
    for path in store_dir().glob("*.json*"):
        path.unlink(missing_ok=True)


# --- the backfill: export with validation --------------------------------------------------------

def export_characters(conn: sa.Connection, batch_size: int = BATCH_SIZE) -> Iterator[int]:
    """Export every character in id order, one batch per yield. Each document is read
    back and compared with its row before the export is recorded; a document already
    exported with the same checksum is left alone, so a rerun rewrites nothing."""
    for rows in pages(conn, characters, "id", batch_size):
        ids = [r["id"] for r in rows]
        done = dict(conn.execute(sa.select(exports.c.character_id, exports.c.checksum)
                                 .where(exports.c.character_id.in_(ids))).all())
        for row in rows:
            document = to_document(row)
            checksum = hashlib.sha256(_encode(document)).hexdigest()
            if done.get(row["id"]) == checksum and _read(row["id"]) == document:
                continue
            _store(conn, row)
            if _read(row["id"]) != document:
                raise ExportMismatch(f"character {row['id']}: the stored document "
                                     f"{_read(row['id'])!r} is not {document!r}")
        yield len(rows)
