"""The fixtures for hand-written tests: a database at any version, the migrations, rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import postgres_url

EXAMPLE = Path(__file__).parent / "examples" / "products"

HAND_WRITTEN = """
import sqlalchemy as sa
from hypothesis import given, settings, HealthCheck


def test_migrations_are_listed(dualwrite_migrations):
    assert [m.label for m in dualwrite_migrations] == [
        "001_create_products.sql", "002_create_catalog_items.sql", "003_drop_products.sql"]


def test_moves_through_versions(dualwrite_db):
    assert dualwrite_db.version is None
    dualwrite_db.migrate_to(1)
    assert dualwrite_db.version == 1
    # Postgres: the plugin's own table sits in its own schema, out of the user's way.
    own = [] if dualwrite_db.backend == "postgres" else ["dualwrite_schema_version"]
    assert sa.inspect(dualwrite_db.engine).get_table_names() == [*own, "products"]
    dualwrite_db.migrate_to()
    assert "products" not in sa.inspect(dualwrite_db.engine).get_table_names()


def test_fresh_is_a_clone_at_a_version(dualwrite_db):
    db = dualwrite_db.fresh(2)
    assert db.version == 2 and db.name != dualwrite_db.name
    with db.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO products VALUES ('a', 'b', NULL, 1, NULL)")
    assert dualwrite_db.fresh(2).engine.connect().exec_driver_sql(
        "SELECT count(*) FROM products").scalar() == 0


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=__import__("hypothesis").strategies.data())
def test_checkout_inside_examples(dualwrite_db, data):
    if dualwrite_db.version != 2:
        dualwrite_db.migrate_to(2)
    rows = data.draw(dualwrite_db.rows(
        "products", price_cents=__import__("hypothesis").strategies.just(5)))
    with dualwrite_db.checkout(2) as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM products").scalar() == 0
        for row in rows:
            conn.execute(sa.text("INSERT INTO products (sku, name, description, price_cents, "
                                 "updated_at) VALUES (:sku, :name, :description, :price_cents,"
                                 " :updated_at)"), row)
        assert conn.exec_driver_sql("SELECT count(*) FROM products").scalar() == len(rows)
        assert all(r["price_cents"] == 5 for r in rows)
"""


def test_hand_written_tests_use_the_fixtures(pytester: pytest.Pytester,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(EXAMPLE / "migrations", pytester.path / "migrations")
    shutil.copy(EXAMPLE / "pyproject.toml", pytester.path / "pyproject.toml")
    pytester.makepyfile(test_hand=HAND_WRITTEN)
    backends = "sqlite,postgres" if postgres_url() else "sqlite"
    if postgres_url():
        monkeypatch.setenv("DUALWRITE_POSTGRES_URL", postgres_url() or "")
    result = pytester.runpytest_subprocess("--dualwrite", f"--dualwrite-backend={backends}",
                                           "-k", "test_hand", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1 + 3 * len(backends.split(",")))
