"""users -> users_v2, whose write path stores the copy under the wrong id (id + 1): the
backfill then meets that copy on the unique email and is refused. The story must blame
the write, not the backfill."""

import sqlalchemy as sa
from hypothesis import strategies as st

from pytest_dualwrite import DualWrite


def write(conn, row):
    conn.execute(sa.text("INSERT INTO users (id, email) VALUES (:id, :email)"), row)
    conn.execute(sa.text("INSERT INTO users_v2 (id, email) VALUES (:id + 1, :email)"), row)


def backfill(conn):
    conn.execute(sa.text("INSERT INTO users_v2 (id, email) SELECT id, email FROM users "
                         "WHERE id NOT IN (SELECT id FROM users_v2)"))


# ids well inside INTEGER: `id + 1` must not overflow (that would be a failure of its own)
users_to_v2 = DualWrite(old="users", new="users_v2", key="id", columns=["email"], expand=2,
                        write=write, backfill=backfill,
                        strategies={"id": st.integers(-1000, 1000)})
