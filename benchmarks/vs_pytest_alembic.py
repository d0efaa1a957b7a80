"""Our `upgrade_from_empty` + `models_match_migrations` against pytest-alembic's
`test_upgrade` + `test_model_definitions_match_ddl`, on Postgres, on one generated history.

One history (benchmarks/_history.py: tables with foreign keys, added columns, indexes,
SET NOT NULL / SET DEFAULT, renames) is written twice into a temporary project:

- as SQL files `NNNN_*.sql` (our `dualwrite_migrations`);
- as Alembic revisions, each `op.execute()` of the same SQL, with an `env.py` that takes
  the connection (or engine) handed to it in `config.attributes["connection"]` (the hand-off
  both tools document), and `models.py`: SQLAlchemy `Table`s rendered from the schema the
  history builds, so both tools' model checks pass.

Three contenders, alternating in a rotating order each round (medians, side by side):

ours-sql:     a fresh `Session` on the SQL files (discovery included), the backend started
              (the run's role made), both checks, `close()` (every drop, the role dropped):
              what the two items cost a pytest run, start to end.
ours-alembic: the same on the Alembic revisions (`dualwrite_alembic`).
theirs:       pytest-alembic on the Alembic revisions, each test on a database of its own
              made and dropped around it, as its documented Postgres set-up does
              (pytest-mock-resources' `create_postgres_fixture()`); `theirs-nodb` is the
              same two tests without that set-up, given for the reader who keeps one
              database and resets it some cheaper way.

Both tools are asserted to pass at every size: a failing run is not a figure.

Run:  python benchmarks/vs_pytest_alembic.py [--postgres-url URL] [--sizes 10,40,100]
      [--rounds 5]
Needs pytest-alembic (0.13.1 measured); uninstall it after, or use a venv of its own:
installed beside this plugin under pytest 9 its collector breaks every pytest run
(`'TestCollector' object has no attribute '_nodeid'`).
Target (issues 15 and 16): ours at most 0.5x theirs at every size, both variants.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from _history import generate

from pytest_dualwrite import checks
from pytest_dualwrite.session import Session
from pytest_dualwrite.settings import resolve

TARGET = 0.5
ENV_PY = '''"""Alembic's template with the connection hand-off both tools document."""
import sqlalchemy as sa
from alembic import context

import models

config = context.config
target_metadata = models.metadata


def run(connection):
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


connectable = config.attributes.get("connection")
if isinstance(connectable, sa.Connection):
    run(connectable)
else:
    with (connectable or sa.create_engine(config.get_main_option("sqlalchemy.url"))
          ).connect() as connection:
        run(connection)
        connection.commit()
'''
REVISION = '''"""{label}"""
from alembic import op

revision = "{revision}"
down_revision = {down!r}


def upgrade() -> None:
    op.execute("""{sql}""")


def downgrade() -> None:
    pass
'''


def revision_id(number: int) -> str:
    return f"{number:04d}{number * 2654435761 % 16**8:08x}"


def write_project(root: Path, count: int, url: sa.URL) -> tuple[Path, Path, Path]:
    """(SQL folder, alembic.ini, models dir) for a `count`-step history under `root`."""
    history = generate(count)
    sql_dir = history.write(root / "migrations")
    versions = root / "alembic" / "versions"
    versions.mkdir(parents=True)
    (root / "alembic" / "env.py").write_text(ENV_PY)
    down = None
    for number, (name, sql) in enumerate(sorted(history.files.items()), 1):
        rev = revision_id(number)
        (versions / f"{rev}_{Path(name).stem}.py").write_text(REVISION.format(
            label=name, revision=rev, down=down, sql=sql.replace('"""', '\\"\\"\\"')))
        down = rev
    ini = root / "alembic.ini"
    ini.write_text(f"[alembic]\nscript_location = %(here)s/alembic\n"
                   f"sqlalchemy.url = {url.set(database='never_used')}\n")
    (root / "models.py").write_text(render_models(sql_dir, url))
    return sql_dir, ini, root


def render_models(sql_dir: Path, url: sa.URL) -> str:
    """`models.py` for the schema the SQL files build: applied once on a scratch database,
    reflected, and written back as `Table(...)` definitions."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    name = f"dualwrite_bench_models_{os.getpid()}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(url.set(database=name))
    try:
        with engine.begin() as conn:
            for path in sorted(sql_dir.glob("*.sql")):
                conn.exec_driver_sql(path.read_text())
        metadata = sa.MetaData()
        metadata.reflect(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()
    lines = ["import sqlalchemy as sa",
             "from sqlalchemy.types import *  # noqa: F403",
             "from sqlalchemy.dialects.postgresql import *  # noqa: F403",
             "", "metadata = sa.MetaData()", ""]
    for table in metadata.sorted_tables:
        lines.append(f"sa.Table({table.name!r}, metadata,")
        for column in table.columns:
            args = [repr(column.name), repr(column.type)]
            for fk in column.foreign_keys:
                ondelete = f", ondelete={fk.ondelete!r}" if fk.ondelete else ""
                args.append(f"sa.ForeignKey({fk.target_fullname!r}{ondelete})")
            if column.primary_key:
                args.append("primary_key=True")
            else:
                args.append(f"nullable={column.nullable}")
                default = column.server_default
                if default is not None:
                    args.append(f"server_default=sa.text({str(default.arg)!r})")
            lines.append(f"    sa.Column({', '.join(args)}),")
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            cols = ", ".join(repr(c.name) for c in index.columns)
            lines.append(f"    sa.Index({index.name!r}, {cols}, unique={bool(index.unique)}),")
        lines.append(")")
    return "\n".join(lines) + "\n"


def ours(ini: dict[str, str], root: Path, url: sa.URL) -> Callable[[], None]:
    """Both checks in a fresh session, as a pytest run does them, start to close."""

    def run() -> None:
        env = {"DUALWRITE_POSTGRES_URL": url.render_as_string(hide_password=False)}
        session = Session(resolve({}, env, {**ini, "dualwrite_backends": "postgres",
                                            "dualwrite_models": "models:metadata"}), root)
        try:
            backend = session.backend("postgres")
            checks.upgrade_from_empty(session, backend)
            checks.models_match_migrations(session, backend)
        finally:
            session.close()

    return run


def theirs(alembic_ini: Path, url: sa.URL) -> Callable[[], None]:
    """pytest-alembic's two tests through its own runner, each on a database of its own."""
    import alembic.config
    from pytest_alembic import runner
    from pytest_alembic.config import Config
    from pytest_alembic.tests.default import test_model_definitions_match_ddl, test_upgrade

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    base = f"dualwrite_bench_theirs_{os.getpid()}"

    def one(test: Callable[[object], None], name: str) -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        engine = sa.create_engine(url.set(database=name))
        try:
            config = Config.from_raw_config(alembic.config.Config(str(alembic_ini)))
            with runner(config=config, engine=engine) as alembic_runner, \
                    contextlib.redirect_stdout(io.StringIO()):
                test(alembic_runner)
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')

    def run() -> None:
        one(test_upgrade, f"{base}_1")
        one(test_model_definitions_match_ddl, f"{base}_2")

    return run


def timed_nodb(alembic_ini: Path, url: sa.URL) -> Callable[[], float]:
    """pytest-alembic's two tests on kept empty databases; only the tests are timed."""
    import alembic.config
    from pytest_alembic import runner
    from pytest_alembic.config import Config
    from pytest_alembic.tests.default import test_model_definitions_match_ddl, test_upgrade

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    base = f"dualwrite_bench_nodb_{os.getpid()}"

    def reset(name: str) -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def run() -> float:
        spent = 0.0
        for n, test in ((1, test_upgrade), (2, test_model_definitions_match_ddl)):
            name = f"{base}_{n}"
            reset(name)
            engine = sa.create_engine(url.set(database=name))
            try:
                start = time.perf_counter()
                config = Config.from_raw_config(alembic.config.Config(str(alembic_ini)))
                with runner(config=config, engine=engine) as alembic_runner, \
                        contextlib.redirect_stdout(io.StringIO()):
                    test(alembic_runner)
                spent += time.perf_counter() - start
            finally:
                engine.dispose()
        with admin.connect() as conn:
            for n in (1, 2):
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{base}_{n}" WITH (FORCE)')
        return spent

    return run


def measure(count: int, rounds: int, url: sa.URL) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="dw-bench-vs-alembic-") as tmp:
        root = Path(tmp)
        sql_dir, alembic_ini, models_dir = write_project(root, count, url)
        sys.path.insert(0, str(models_dir))
        sys.modules.pop("models", None)
        try:
            contenders: dict[str, Callable[[], float]] = {}
            for label, fn in (
                    ("ours-sql", ours({"dualwrite_migrations": str(sql_dir),
                                       "dualwrite_dialect": "postgres"}, root, url)),
                    ("ours-alembic", ours({"dualwrite_alembic": str(alembic_ini)}, root, url)),
                    ("theirs", theirs(alembic_ini, url))):
                contenders[label] = _clock(fn)
            contenders["theirs-nodb"] = timed_nodb(alembic_ini, url)
            runs: dict[str, list[float]] = {name: [] for name in contenders}
            order = list(contenders)
            for name in order:  # warm-up: imports, first connections; not counted
                contenders[name]()
            for round_ in range(rounds):
                turn = round_ % len(order)
                for name in order[turn:] + order[:turn]:
                    runs[name].append(contenders[name]())
            return runs
        finally:
            sys.path.remove(str(models_dir))
            sys.modules.pop("models", None)


def _clock(fn: Callable[[], None]) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", default=os.environ.get(
        "DUALWRITE_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--sizes", default="10,40,100")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    url = sa.make_url(args.postgres_url).set(drivername="postgresql+psycopg")
    print(f"{args.rounds} rounds a size, rotating order, medians in seconds; "
          f"ratio = ours / theirs (theirs-nodb: without each test's database)")
    print(f"{'revisions':>9} {'ours-sql':>9} {'ours-alembic':>12} {'theirs':>8} "
          f"{'theirs-nodb':>11} {'sql/theirs':>10} {'alembic/theirs':>14} {'vs nodb':>15}")
    for count in (int(s) for s in args.sizes.split(",")):
        runs = measure(count, args.rounds, url)
        m = {name: statistics.median(values) for name, values in runs.items()}
        r_sql, r_alembic = m["ours-sql"] / m["theirs"], m["ours-alembic"] / m["theirs"]
        met = "met" if max(r_sql, r_alembic) <= TARGET else "MISSED"
        nodb = f"{m['ours-sql'] / m['theirs-nodb']:.2f}/{m['ours-alembic'] / m['theirs-nodb']:.2f}"
        print(f"{count:9d} {m['ours-sql']:9.3f} {m['ours-alembic']:12.3f} {m['theirs']:8.3f} "
              f"{m['theirs-nodb']:11.3f} {r_sql:9.2f}x {r_alembic:13.2f}x {nodb:>15}  "
              f"target <= {TARGET}x: {met}", flush=True)


if __name__ == "__main__":
    main()
