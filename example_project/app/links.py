"""short_links -> redirects (scenario 6, migrations 014-015).

The link shortener hands its links to a redirect service with a table of its own: the
same records under the service's names (`target_url` is `destination`, `clicks` is
`hits`), and a status code the shortener never had (every copied link is a permanent
301). One record per slug, in both tables.

The phases, in the order a deploy goes through them:

1. dual write (`record_link`, `update_link`, `delete_link`): both tables. After any change
   the whole fresh record is mirrored into `redirects` (inserted, or overwritten), so a
   link the backfill has not reached yet is there as soon as it is touched;
2. backfill (`app.backfills.short_links_to_redirects`): what the mirror has not copied;
3. read-path migration (`get_link`): `redirects` first, `short_links` as the fallback;
4. write-path cutover (`*_cutover`): `redirects` only; a link not copied yet is copied
   before it is changed, and a delete still reaches `short_links`, so that neither the
   reader's fallback nor a late backfill brings the link back.

There is no contract step (yet): `short_links` stays, frozen, until its last reader goes.
Every function takes a `Connection` already inside a transaction and never commits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from .db import upsert_from_select
from .models import table

short_links = table("short_links")
redirects = table("redirects")

# short_links' column -> redirects' column, for what both tables hold
RENAMED = {"slug": "slug", "target_url": "destination", "title": "title", "clicks": "hits"}
COPIED = list(RENAMED.values())  # the columns of redirects a copy writes


def copy_select(where: Any) -> sa.Select[Any]:
    """short_links' rows in the order of `COPIED`: the SELECT every copy inserts from."""
    s = short_links.c
    return sa.select(s.slug, s.target_url, s.title, s.clicks).where(where)


def _mirror(conn: sa.Connection, slug: str) -> None:
    """The record as `short_links` holds it now, into `redirects` (overwriting)."""
    upsert_from_select(conn, redirects, COPIED, copy_select(short_links.c.slug == slug),
                       key=["slug"])


def _copy_if_missing(conn: sa.Connection, slug: str) -> None:
    """After the cutover: a link the backfill has not reached is copied before a change,
    so the change lands on the whole record (a copied one is newer: left alone)."""
    upsert_from_select(conn, redirects, COPIED, copy_select(short_links.c.slug == slug),
                       key=["slug"], update=[])


def _renamed(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {RENAMED[column]: value for column, value in changes.items()}


# --- 1. dual write ----------------------------------------------------------------------------

def record_link(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """A new short link. A slug already taken fails on `short_links`' primary key."""
    conn.execute(sa.insert(short_links), [dict(row)])
    _mirror(conn, row["slug"])


def update_link(conn: sa.Connection, slug: str, changes: Mapping[str, Any]) -> None:
    """`short_links` first (which locks the row), then the fresh record into `redirects`."""
    conn.execute(sa.update(short_links).where(short_links.c.slug == slug).values(**changes))
    _mirror(conn, slug)


def delete_link(conn: sa.Connection, slug: str) -> None:
    """Both tables (the same as after the cutover: see `delete_link_cutover`)."""
    delete_link_cutover(conn, slug)


# --- 3. read path -----------------------------------------------------------------------------

def get_link(conn: sa.Connection, slug: str) -> dict[str, Any] | None:
    """`redirects` first, `short_links` for a link not copied yet; in the old names."""
    r = redirects.c
    new = conn.execute(sa.select(*(r[new].label(old) for old, new in RENAMED.items()))
                       .where(r.slug == slug)).mappings().first()
    if new is not None:
        return dict(new)
    old = conn.execute(copy_select(short_links.c.slug == slug)).mappings().first()
    return dict(old) if old is not None else None


# --- 4. write-path cutover ---------------------------------------------------------------------

def record_link_cutover(conn: sa.Connection, row: Mapping[str, Any]) -> None:
    """`redirects` only. A slug taken in `short_links` but not copied yet is copied first,
    so that it is refused here too (primary key) rather than shadowed."""
    _copy_if_missing(conn, row["slug"])
    conn.execute(sa.insert(redirects), [_renamed(row)])


def update_link_cutover(conn: sa.Connection, slug: str, changes: Mapping[str, Any]) -> None:
    _copy_if_missing(conn, slug)
    conn.execute(sa.update(redirects).where(redirects.c.slug == slug)
                 .values(**_renamed(changes)))


def delete_link_cutover(conn: sa.Connection, slug: str) -> None:
    """The one write that must still reach `short_links` after the cutover: left there,
    the link would come back through the reader's fallback or a late backfill batch.
    `short_links` first, as every write here: a backfill batch locks the old rows it
    copies, so both take their locks in one order and neither waits on the other twice."""
    conn.execute(sa.delete(short_links).where(short_links.c.slug == slug))
    conn.execute(sa.delete(redirects).where(redirects.c.slug == slug))
