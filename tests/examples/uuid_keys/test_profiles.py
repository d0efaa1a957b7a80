"""A naive app with UUID keys: `sa.Uuid`, `sa.DateTime(timezone=True)`, no workarounds.

Its callables assert that keys arrive as uuid.UUID and timestamps aware, on each backend.
Its JSON columns say `none_as_null=True`: with SQLAlchemy's default, copying a row turns
SQL NULL into the JSON document `null`, which the plugin reports (a nullable JSON column
is generated with SQL NULL since #18).
"""

import uuid

import sqlalchemy as sa
from hypothesis import strategies as st

from pytest_dualwrite import DualWrite

meta = sa.MetaData()
USERS = sa.Table("users", meta, sa.Column("id", sa.Uuid, primary_key=True),
                 sa.Column("name", sa.String(100)),
                 sa.Column("created_at", sa.DateTime(timezone=True)),
                 sa.Column("prefs", sa.JSON(none_as_null=True)),
                 sa.Column("score", sa.Numeric(10, 2)), sa.Column("active", sa.Boolean))
PROFILES = sa.Table("user_profiles", meta, sa.Column("user_id", sa.Uuid, primary_key=True),
                    sa.Column("display_name", sa.String(100)),
                    sa.Column("created_at", sa.DateTime(timezone=True)),
                    sa.Column("prefs", sa.JSON(none_as_null=True)),
                    sa.Column("score", sa.Numeric(10, 2)), sa.Column("active", sa.Boolean))


def _profile(row):
    assert isinstance(row["id"], uuid.UUID), type(row["id"])
    return {"user_id": row["id"], "display_name": row["name"],
            **{k: row[k] for k in ("created_at", "prefs", "score", "active") if k in row}}


def write(conn, row):
    assert row["created_at"].tzinfo is not None
    conn.execute(sa.insert(USERS).values(**row))
    conn.execute(sa.insert(PROFILES).values(**_profile(row)))


def update(conn, key, changes):
    assert isinstance(key, uuid.UUID), type(key)
    conn.execute(sa.update(USERS).where(USERS.c.id == key).values(**changes))
    new = {("display_name" if k == "name" else k): v for k, v in changes.items()}
    conn.execute(sa.update(PROFILES).where(PROFILES.c.user_id == key).values(**new))


def delete(conn, key):
    assert isinstance(key, uuid.UUID), type(key)
    conn.execute(sa.delete(USERS).where(USERS.c.id == key))
    conn.execute(sa.delete(PROFILES).where(PROFILES.c.user_id == key))


def backfill(conn):
    for key in conn.execute(sa.select(USERS.c.id).order_by(USERS.c.id)).scalars().all():
        row = conn.execute(sa.select(USERS).where(USERS.c.id == key)).mappings().first()
        copied = conn.execute(sa.select(PROFILES.c.user_id)
                              .where(PROFILES.c.user_id == key)).first()
        if row is not None and copied is None:
            conn.execute(sa.insert(PROFILES).values(**_profile(dict(row))))
        yield


def read(conn, key):
    assert isinstance(key, uuid.UUID), type(key)
    row = conn.execute(sa.select(PROFILES).where(PROFILES.c.user_id == key)).mappings().first()
    if row is None:
        old = conn.execute(sa.select(USERS).where(USERS.c.id == key)).mappings().first()
        return dict(old) if old is not None else None
    return {"id": row["user_id"], "name": row["display_name"], "created_at": row["created_at"],
            "prefs": row["prefs"], "score": row["score"], "active": row["active"]}


profiles = DualWrite(old="users", new="user_profiles", key={"id": "user_id"},
                     columns={"name": "display_name", "created_at": "created_at", "prefs": "prefs",
                              "score": "score", "active": "active"},
                     expand=2, write=write, update=update, delete=delete, backfill=backfill,
                     read=read)

# The override a user reaches for first: the plugin's own insert must bind it.
profiles_given_ids = DualWrite(old="users", new="user_profiles", key={"id": "user_id"},
                               columns={"name": "display_name"}, expand=2, write=write,
                               backfill=backfill, strategies={"id": st.uuids()})
