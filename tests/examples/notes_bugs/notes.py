"""notes -> notes_v2 (body renamed content), with bugs planted behind DW_BUG."""

import os

import sqlalchemy as sa

BUG = os.environ.get("DW_BUG", "")


def write(conn, row):
    if BUG == "two_failures":
        raise RuntimeError("the write path is not ready")
    conn.execute(sa.text("INSERT INTO notes (id, body) VALUES (:id, :body)"), row)
    conn.execute(sa.text("INSERT INTO notes_v2 (id, content) VALUES (:id, :body)"), row)


def delete(conn, key):
    conn.execute(sa.text("DELETE FROM notes WHERE id = :id"), {"id": key})
    if BUG != "two_failures":
        conn.execute(sa.text("DELETE FROM notes_v2 WHERE id = :id"), {"id": key})


def backfill(conn):
    cut = "substr(body, 1, 250)" if BUG == "cut_long" else "body"
    conn.execute(sa.text(f"INSERT INTO notes_v2 (id, content) SELECT id, {cut} FROM notes "
                         "WHERE id NOT IN (SELECT id FROM notes_v2)"))
