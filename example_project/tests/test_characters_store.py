"""Scenario 4: characters dual-written to a JSON document store (migrations 012-013).

`new` is a callable: it reads every document of the store and returns them as mappings,
under the store's field names (`class` is `character_class` there). The store is outside
the database, so `reset=` empties it before each example, as every example starts from
a fresh database. The backfill is the export, with validation (app/characters.py).

Expand is 013 (character_exports), not 012: the plugin generates the pre-existing rows
at the migration before `expand`, and `characters` must exist there.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from pytest_dualwrite import DualWrite

from app import characters


def export_in_small_batches(conn: sa.Connection):
    yield from characters.export_characters(conn, batch_size=3)


characters_to_documents = DualWrite(
    old="characters",
    new=characters.all_documents,
    key="id",
    columns={"name": "name", "class": "character_class", "level": "level", "bio": "bio"},
    expand=13,  # 013_create_character_exports.sql
    write=characters.create_character,
    update=characters.update_character,
    delete=characters.delete_character,
    backfill=export_in_small_batches,
    read=characters.get_character,
    reset=characters.clear_store,
)


# --- hand-written tests ---------------------------------------------------------------------

def _insert(conn: sa.Connection, *rows: dict) -> None:
    conn.execute(sa.insert(characters.characters), list(rows))


def test_export_writes_one_validated_document_per_character(engine_at, store_dir):
    with engine_at(13).begin() as conn:
        _insert(conn, {"id": 1, "name": "Ilse", "class": "ranger", "level": 3, "bio": None},
                {"id": 2, "name": "Bó Ña", "class": None, "level": 1, "bio": "a\nb"})
        assert list(characters.export_characters(conn)) == [2]
        assert sorted(p.name for p in store_dir.iterdir()) == ["1.json", "2.json"]
        assert json.loads((store_dir / "2.json").read_text("utf-8")) == {
            "id": 2, "name": "Bó Ña", "character_class": None, "level": 1, "bio": "a\nb"}
        exported = conn.execute(sa.select(characters.exports.c.character_id)).scalars()
        assert sorted(exported) == [1, 2]


def test_export_again_rewrites_nothing(engine_at, store_dir):
    with engine_at(13).begin() as conn:
        _insert(conn, {"id": 1, "name": "Ilse", "class": "ranger", "level": 3, "bio": None})
        list(characters.export_characters(conn))
        written = (store_dir / "1.json").stat().st_mtime_ns
        (store_dir / "1.json").touch()  # any rewrite would move the time again
        touched = (store_dir / "1.json").stat().st_mtime_ns
        list(characters.export_characters(conn))
        assert (store_dir / "1.json").stat().st_mtime_ns == touched >= written


def test_dual_write_and_read_path(engine_at, store_dir):
    with engine_at(13).begin() as conn:
        characters.create_character(conn, {"id": 5, "name": "Ada", "class": "mage",
                                           "level": 2, "bio": None})
        characters.update_character(conn, 5, {"level": 3})
        assert characters.get_character(conn, 5) == {
            "id": 5, "name": "Ada", "class": "mage", "level": 3, "bio": None}
        characters.update_character(conn, 6, {"level": 9})  # no such character
        assert characters.get_character(conn, 6) is None
        characters.delete_character(conn, 5)
        assert characters.all_documents(conn) == []
