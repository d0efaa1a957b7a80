"""What an item lists about its backend's migrations: the migration checks every skipped
or unread statement, a spec only the lossy skips on its own tables ("partial")."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

from pytest_dualwrite.migrations.notes import item_notes
from pytest_dualwrite.session import Session
from pytest_dualwrite.settings import resolve

HISTORY = {
    "001_init.sql": "CREATE TABLE orders (id INT PRIMARY KEY, total INT);\n"
                    "CREATE TABLE counters (n INT);\nCREATE TABLE other (id INT);\n"
                    "GRANT SELECT ON orders TO app;\n",
    "002_trigger.sql": "CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                       "BEGIN UPDATE counters SET n = n + 1; RETURN NEW; END $$;\n"
                       "CREATE TRIGGER t AFTER INSERT ON orders FOR EACH ROW "
                       "EXECUTE FUNCTION bump();\n",
}


def spec(old: str, new: str) -> SimpleNamespace:
    return SimpleNamespace(old=old, new=new, old_table=None if " " in old else old,
                           new_table=None if " " in new else new)


def test_checks_list_every_skip_and_specs_only_lossy_skips_on_their_tables(
        tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    for name, text in HISTORY.items():
        (folder / name).write_text(text)
    settings = resolve({"dualwrite_migrations": str(folder)}, os.environ, {})
    session = Session(settings, rootdir=tmp_path)
    try:
        listed = item_notes(session, "sqlite")
        assert [n.split(": skipped on sqlite: ")[0].rsplit("/", 1)[-1] for n in listed] == [
            "001_init.sql:4", "002_trigger.sql:1", "002_trigger.sql:3"]
        assert listed[2].endswith("(touches orders, counters)")
        partial = item_notes(session, "sqlite", spec("orders", "other"))
        assert partial == [f"partial on sqlite: {listed[2]}"]
        assert item_notes(session, "sqlite", spec("SELECT * FROM counters", "other")) == partial
        assert item_notes(session, "sqlite", spec("other", "other")) == []
        assert item_notes(session, "static") == []
    finally:
        session.close()
