"""Scenario 6: short_links -> redirects (migrations 014-015), the whole timeline.

A rename of a table and two columns, the simplest shape there is, so that what this
scenario shows is the race: the dual write mirrors the whole record into `redirects`
after every change, the backfill copies only what `redirects` lacks, and on Postgres the
two run at once. `backfill_races_live_writes` runs them on two connections and picks
where the application's writes commit between the backfill's statements.

`DUALWRITE_EXAMPLE_BROKEN=not-exists-copy` swaps the backfill's ON CONFLICT DO NOTHING
for WHERE NOT EXISTS: every sequential item passes (on one connection the two mean the
same), and the race item fails, the batch raising a unique violation on a link that an
update committed into `redirects` while the batch waited for it. See
`app.backfills.short_links_to_redirects`.
"""

from __future__ import annotations

import sqlalchemy as sa
from pytest_dualwrite import Cutover, DualWrite

from app import backfills, links
from app.links import redirects, short_links


def backfill_in_small_batches(conn: sa.Connection):
    yield from backfills.short_links_to_redirects(conn, batch_size=2)


short_links_to_redirects = DualWrite(
    old="short_links",
    new="redirects",
    key="slug",
    columns={"target_url": "destination", "title": "title", "clicks": "hits"},
    expand=15,     # 015_create_redirects.sql
    write=links.record_link,
    update=links.update_link,
    delete=links.delete_link,
    backfill=backfill_in_small_batches,
    read=links.get_link,
    cutover=Cutover(write=links.record_link_cutover,
                    update=links.update_link_cutover,
                    delete=links.delete_link_cutover),
)


# --- hand-written tests -------------------------------------------------------------------------

def _link(slug: str, url: str = "https://example.org/", clicks: int = 0):
    return {"slug": slug, "target_url": url, "title": None, "clicks": clicks}


def test_a_copied_link_is_permanent_and_a_late_backfill_keeps_newer_values(engine_at):
    with engine_at(15).begin() as conn:
        conn.execute(sa.insert(short_links), [_link("a"), _link("b")])
        links.update_link_cutover(conn, "a", {"clicks": 7})  # after the cutover
        list(backfills.short_links_to_redirects(conn, batch_size=1))
        rows = conn.execute(sa.select(redirects.c.slug, redirects.c.hits,
                                      redirects.c.status_code).order_by("slug")).all()
    assert rows == [("a", 7, 301), ("b", 0, 301)]


def test_a_deleted_link_stays_deleted_after_the_cutover(engine_at):
    with engine_at(15).begin() as conn:
        conn.execute(sa.insert(short_links), [_link("a")])
        links.delete_link_cutover(conn, "a")
        list(backfills.short_links_to_redirects(conn))
        assert links.get_link(conn, "a") is None
