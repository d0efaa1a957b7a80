"""A small app, written the way a newcomer would: users move their name to user_profiles."""

import sqlalchemy as sa

metadata = sa.MetaData()
users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("email", sa.Text),
)
user_profiles = sa.Table(
    "user_profiles", metadata,
    sa.Column("user_id", sa.Uuid, primary_key=True),
    sa.Column("display_name", sa.String(100), nullable=False),
)


def create_user(conn, row):
    conn.execute(users.insert().values(**row))
    conn.execute(user_profiles.insert().values(user_id=row["id"], display_name=row["name"]))


def update_user(conn, user_id, changes):
    conn.execute(users.update().where(users.c.id == user_id).values(**changes))
    if "name" in changes:
        conn.execute(user_profiles.update().where(user_profiles.c.user_id == user_id)
                     .values(display_name=changes["name"]))


def delete_user(conn, user_id):
    conn.execute(users.delete().where(users.c.id == user_id))
    conn.execute(user_profiles.delete().where(user_profiles.c.user_id == user_id))


def backfill_profiles(conn):
    """Two users at a time, in id order; each yield ends a batch."""
    last = None
    while True:
        query = sa.select(users.c.id, users.c.name).order_by(users.c.id).limit(2)
        if last is not None:
            query = query.where(users.c.id > last)
        batch = conn.execute(query).all()
        if not batch:
            return
        for user_id, name in batch:
            done = conn.execute(user_profiles.update()
                                .where(user_profiles.c.user_id == user_id)
                                .values(display_name=name))
            if done.rowcount == 0:
                conn.execute(user_profiles.insert().values(user_id=user_id, display_name=name))
        last = batch[-1].id
        yield


def get_user(conn, user_id):
    found = conn.execute(
        sa.select(users.c.id, user_profiles.c.display_name.label("name"))
        .join(user_profiles, user_profiles.c.user_id == users.c.id, isouter=True)
        .where(users.c.id == user_id)).first()
    if found is None:
        return None
    if found.name is None:  # not backfilled yet
        return {"id": found.id, "name": conn.execute(
            sa.select(users.c.name).where(users.c.id == user_id)).scalar_one()}
    return {"id": found.id, "name": found.name}
