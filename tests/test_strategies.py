"""Strategies from a schema: the rows they give must insert, and say what the schema says."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import find as _find
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from sqlalchemy.ext.compiler import compiles

from pytest_dualwrite.dualwrite.seen import Seen
from pytest_dualwrite.errors import SpecError
from pytest_dualwrite.schema.model import (
    Check,
    Column,
    ColumnType,
    ForeignKey,
    Index,
    Schema,
    Table,
    Unique,
)
from pytest_dualwrite.strategies import (
    from_column,
    ignored_checks,
    register_type_strategy,
    registry,
    row,
    rows,
    rows_for_tables,
)

T = TypeVar("T")
DB_SETTINGS = settings(max_examples=50, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow])


def find(strategy: st.SearchStrategy[T], condition: Callable[[T], object]) -> T:
    """`hypothesis.find` without shrinking: these tests ask whether a value is reachable."""
    fast = settings(phases=[Phase.generate], max_examples=2000, database=None)
    return _find(strategy, condition, settings=fast)


# --- a tiny sa.Table -> model.Table converter (the real reflection producer is elsewhere) ---

def _column_type(t: sa.types.TypeEngine) -> ColumnType:
    if isinstance(t, JSONText):
        return ColumnType("json")
    if isinstance(t, sa.Enum):
        return ColumnType("enum", variant=t.name, values=tuple(t.enums))
    if isinstance(t, sa.Float):
        return ColumnType("float", length=4 if isinstance(t, sa.REAL) else 8)
    if isinstance(t, sa.Numeric):
        return ColumnType("numeric", precision=t.precision, scale=t.scale)
    for cls, size in ((sa.SmallInteger, 2), (sa.BigInteger, 8), (sa.Integer, 4)):
        if isinstance(t, cls):
            return ColumnType("integer", length=size)
    simple = [(sa.Boolean, "boolean"), (sa.LargeBinary, "binary"), (sa.Date, "date"),
              (sa.Interval, "interval"), (sa.Uuid, "uuid"), (sa.JSON, "json")]
    for cls, family in simple:
        if isinstance(t, cls):
            return ColumnType(family)
    if isinstance(t, sa.String):
        return ColumnType("string", length=t.length)
    if isinstance(t, (sa.DateTime, sa.Time)):
        family = "timestamp" if isinstance(t, sa.DateTime) else "time"
        return ColumnType(family, timezone=bool(t.timezone))
    return ColumnType("unknown")


def model_table(table: sa.Table) -> Table:
    pk = tuple(c.name for c in table.primary_key.columns)
    columns = tuple(
        Column(c.name, _column_type(c.type), nullable=bool(c.nullable),
               default=str(c.server_default.arg) if c.server_default is not None else None,
               autoincrement=c.primary_key and len(pk) == 1 and isinstance(c.type, sa.Integer)
               and c.autoincrement in (True, "auto") and not c.foreign_keys)
        for c in table.columns)
    fks = frozenset(
        ForeignKey(tuple(e.parent.name for e in fk.elements), fk.referred_table.name,
                   tuple(e.column.name for e in fk.elements))
        for fk in table.foreign_key_constraints)
    uniques = frozenset(Unique(tuple(c.name for c in u.columns))
                        for u in table.constraints if isinstance(u, sa.UniqueConstraint))
    uniques |= {Unique((c.name,)) for c in table.columns if c.unique}
    checks = frozenset(Check(str(c.sqltext)) for c in table.constraints
                       if isinstance(c, sa.CheckConstraint))
    return Table(table.name, columns, pk, fks, uniques, frozenset(), checks)


def backend_of(engine: sa.Engine) -> str:
    return "postgres" if engine.dialect.name == "postgresql" else "sqlite"


@pytest.fixture
def engine(any_engine: sa.Engine) -> Iterator[sa.Engine]:
    """Both backends, with SQLite enforcing foreign keys as Postgres does."""
    if any_engine.dialect.name == "sqlite":
        sa.event.listen(any_engine, "connect",
                        lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))
    yield any_engine


# --- every type inserts, and reads back as generated -----------------------------------------

class JSONText(sa.types.TypeDecorator[Any]):
    """JSON declared on SQLite as the plugin's transpiler declares it (`JSON_TEXT`, TEXT
    affinity): SQLAlchemy's `JSON` has NUMERIC affinity there, which turns a stored
    `4.8926761872934396e-293` into a REAL that comes back rounded."""

    impl = sa.JSON
    cache_ok = True


@compiles(JSONText, "sqlite")
def _json_text(type_: JSONText, compiler: Any, **kw: Any) -> str:
    return "JSON_TEXT"


def wide_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "wide", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(8), nullable=False, unique=True),
        sa.Column("name", sa.Text),
        sa.Column("small", sa.SmallInteger),
        sa.Column("qty", sa.Integer, nullable=False),
        sa.Column("big", sa.BigInteger),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("ratio", sa.Float),
        sa.Column("weight", sa.REAL),
        sa.Column("flag", sa.Boolean),
        sa.Column("blob", sa.LargeBinary(16)),
        sa.Column("day", sa.Date),
        sa.Column("at_time", sa.Time),
        sa.Column("created", sa.DateTime),
        sa.Column("seen", sa.DateTime(timezone=True)),
        sa.Column("span", sa.Interval),
        sa.Column("uid", sa.Uuid),
        sa.Column("doc", JSONText()),
        sa.Column("mood", sa.Enum("happy", "sad", name="mood")),
        sa.Column("role", sa.String(10)),
        sa.CheckConstraint("role IN ('admin', 'user')"),
    )


def test_generated_rows_insert_and_read_back(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    table = wide_table(metadata)
    metadata.create_all(engine)
    backend = backend_of(engine)
    model = model_table(table)

    @DB_SETTINGS
    @given(rows(model, backend=backend, max_size=8))
    def check(generated: list[dict]) -> None:
        with engine.begin() as conn:
            conn.execute(table.delete())
            if generated:
                conn.execute(table.insert(), generated)
            stored = {r.code: r._asdict() for r in conn.execute(sa.select(table))}
        assert len(stored) == len(generated)
        for want in generated:
            got = stored[want["code"]]
            assert "id" not in want  # autoincrement: the database filled it
            for name, value in want.items():
                if backend == "sqlite" and name == "seen" and value is not None:
                    value = value.replace(tzinfo=None)  # SQLite keeps the wall time only
                if backend == "sqlite" and name == "price" and value is not None:
                    got[name] = Decimal(got[name]).quantize(Decimal("0.01"))
                if name == "weight" and value is not None:  # psycopg reads real as text
                    got[name] = struct.unpack("f", struct.pack("f", got[name]))[0]
                assert got[name] == value, name

    check()


# --- strings -------------------------------------------------------------------------------

VARCHAR40 = Column("code", ColumnType("string", length=40), nullable=False)
TEXT = Column("note", ColumnType("string"), nullable=False)


def test_varchar_reaches_its_limit_and_never_passes_it() -> None:
    assert len(find(from_column(VARCHAR40), lambda s: len(s) == 40)) == 40

    @given(from_column(VARCHAR40))
    def check(value: str) -> None:
        assert len(value) <= 40

    check()


@pytest.mark.parametrize("column", [VARCHAR40, TEXT], ids=["varchar", "text"])
def test_strings_cover_empty_whitespace_and_mixed_case(column: Column) -> None:
    s = from_column(column)
    assert find(s, lambda v: v == "") == ""
    assert find(s, lambda v: v != "" and v.isspace()).isspace()
    mixed = find(s, lambda v: v.isascii() and v != v.lower() and v != v.upper())
    assert mixed != mixed.lower()


def test_unbounded_text_can_be_long() -> None:
    assert len(find(from_column(TEXT), lambda s: len(s) > 1000)) > 1000


@given(from_column(TEXT))
def test_strings_have_no_nul_and_encode_as_utf8(value: str) -> None:
    assert "\x00" not in value
    value.encode("utf-8")  # no lone surrogates


# --- numbers and times -----------------------------------------------------------------------

INT4 = Column("n", ColumnType("integer", length=4), nullable=False)


@given(from_column(INT4, backend="sqlite"), from_column(INT4, backend="postgres"),
       from_column(Column("n", ColumnType("integer")), backend="postgres"))
def test_declared_and_unknown_integer_sizes_fit_int4(a: int, b: int, c: int | None) -> None:
    assert all(-(2**31) <= v < 2**31 for v in (a, b, c or 0))


def test_integer_ranges_reach_their_bounds() -> None:
    untyped = Column("n", ColumnType("integer"), nullable=False)
    assert find(from_column(untyped, backend="sqlite"), lambda v: v > 2**40) > 2**40
    assert find(from_column(INT4), lambda v: v == 2**31 - 1) == 2**31 - 1


@given(from_column(Column("p", ColumnType("numeric", precision=5, scale=2), False)))
def test_numeric_fits_precision_and_scale(value: Decimal) -> None:
    assert abs(value) < 1000
    assert value == value.quantize(Decimal("0.01"))


@given(from_column(Column("f", ColumnType("float", length=4), False), backend="postgres"))
def test_real_gives_single_precision_floats(value: float) -> None:
    assert struct.unpack("f", struct.pack("f", value))[0] == value


def test_timestamps_are_aware_only_with_timezone() -> None:
    aware = from_column(Column("t", ColumnType("timestamp", timezone=True), False))
    naive = from_column(Column("t", ColumnType("timestamp"), False))

    @given(aware, naive)
    def check(a: datetime, n: datetime) -> None:
        assert a.tzinfo is not None and n.tzinfo is None
        assert 1 <= a.astimezone(timezone.utc).year <= 9999

    check()
    assert find(naive, lambda v: v.microsecond % 1000 != 0)  # microseconds, not millis


@given(from_column(Column("t", ColumnType("timestamp", precision=3), False)))
def test_timestamp_precision_is_honoured(value: datetime) -> None:
    assert value.microsecond % 1000 == 0


# --- nullability, checks, overrides ----------------------------------------------------------

def test_nullable_gives_none() -> None:
    nullable = Column("n", ColumnType("integer", length=4), nullable=True)
    assert find(from_column(nullable), lambda v: v is None) is None


@given(st.sampled_from(["integer", "string", "json", "uuid", "timestamp"]).flatmap(
    lambda family: from_column(Column("n", ColumnType(family), False))))
def test_not_null_never_gives_none(value: object) -> None:
    assert value is not None


ACCOUNTS = Table(
    "accounts",
    (Column("id", ColumnType("integer", length=8), False, autoincrement=True),
     Column("email", ColumnType("string", length=30), False),
     Column("role", ColumnType("string"), True),
     Column("tier", ColumnType("integer", length=4), False),
     Column("balance", ColumnType("numeric", precision=8, scale=2), False),
     Column("region", ColumnType("string", length=2), False),
     Column("handle", ColumnType("string", length=2), False)),
    primary_key=("id",),
    uniques=frozenset({Unique(("region", "handle"))}),
    indexes=frozenset({Index(("lower(email)",), unique=True)}),
    checks=frozenset({Check("role IN ('admin','user')"), Check("(tier IN (1, 2, 3))"),
                      Check("balance >= 0")}),
)


@given(rows(ACCOUNTS, min_size=3, max_size=20))
def test_unique_columns_are_unique_across_the_list(generated: list[dict]) -> None:
    pairs = [(r["region"], r["handle"]) for r in generated]
    assert len(set(pairs)) == len(pairs)
    emails = [r["email"].lower() for r in generated]
    assert len(set(emails)) == len(emails)


@given(rows(ACCOUNTS))
def test_check_in_gives_only_allowed_values(generated: list[dict]) -> None:
    for r in generated:
        assert r["role"] in ("admin", "user", None)
        assert r["tier"] in (1, 2, 3)


def test_checks_not_read_are_listed() -> None:
    assert ignored_checks(ACCOUNTS) == [Check("balance >= 0")]


def test_overrides_replace_infer_and_include() -> None:
    s = rows(ACCOUNTS, overrides={"role": st.just("admin"), "id": ...,
                                  "balance": st.just(Decimal("1.00"))}, min_size=1)

    @given(s)
    def check(generated: list[dict]) -> None:
        assert {r["role"] for r in generated} == {"admin"}
        assert all(isinstance(r["id"], int) for r in generated)  # `...`: generated
        assert len({r["id"] for r in generated}) == len(generated)  # primary key: unique

    check()
    with pytest.raises(SpecError, match="'nope' is not a column of 'accounts'"):
        rows(ACCOUNTS, overrides={"nope": st.none()})
    with pytest.raises(InvalidArgument, match=r"accounts\.role=3"):
        rows(ACCOUNTS, overrides={"role": 3})


def test_server_defaults_are_generated_unless_omitted() -> None:
    table = Table("t", (Column("id", ColumnType("integer", length=4), False),
                        Column("at", ColumnType("timestamp"), False, default="now()")),
                  primary_key=("id",))
    assert set(find(row(table), lambda r: True)) == {"id", "at"}
    assert set(find(row(table, omit_defaults=True), lambda r: True)) == {"id"}


# --- unknown types and the registry ----------------------------------------------------------

THINGS = Table("things", (Column("id", ColumnType("integer", length=4), False),
                          Column("blob", ColumnType("unknown"), True)), primary_key=("id",))


def test_unknown_type_names_the_column_and_the_way_out() -> None:
    with pytest.raises(SpecError) as info:
        rows(THINGS)
    message = str(info.value)
    assert "things.blob" in message
    assert "overrides={'blob'" in message
    assert "register_type_strategy('unknown'" in message
    # ... and the override it suggests works
    assert find(rows(THINGS, overrides={"blob": st.just("x")}, min_size=1),
                lambda g: True)[0]["blob"] == "x"


def test_register_type_strategy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    register_type_strategy("unknown", st.just(b"raw"))
    assert find(from_column(THINGS.column("blob")), lambda v: v is not None) == b"raw"
    register_type_strategy("string", lambda column, backend: st.just(backend))
    assert find(from_column(TEXT, backend="postgres"), lambda v: True) == "postgres"
    with pytest.raises(InvalidArgument, match="family='text' must be one of"):
        register_type_strategy("text", st.text())
    with pytest.raises(InvalidArgument, match="must be a SearchStrategy or a callable"):
        register_type_strategy("string", "text")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="backend='mysql'"):
        from_column(TEXT, backend="mysql")


# --- foreign keys ---------------------------------------------------------------------------

def shop(metadata: sa.MetaData) -> list[sa.Table]:
    customers = sa.Table("customers", metadata,
                         sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("name", sa.String(20), nullable=False))
    categories = sa.Table("categories", metadata,
                          sa.Column("id", sa.Integer, primary_key=True),
                          sa.Column("parent_id", sa.Integer, sa.ForeignKey("categories.id")))
    orders = sa.Table("orders", metadata,
                      sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"),
                                nullable=False),
                      sa.Column("category_id", sa.Integer, sa.ForeignKey("categories.id")),
                      sa.Column("referrer_id", sa.Integer, sa.ForeignKey("customers.id")))
    return [orders, categories, customers]  # deliberately not in FK order


def test_fk_children_reference_generated_parents(engine: sa.Engine) -> None:
    metadata = sa.MetaData()
    tables = {t.name: t for t in shop(metadata)}
    metadata.create_all(engine)
    schema = Schema(tuple(model_table(t) for t in tables.values()))
    strategy = rows_for_tables(schema, list(tables), backend=backend_of(engine), max_size=6)

    @DB_SETTINGS
    @given(strategy)
    def check(generated: dict[str, list[dict]]) -> None:
        assert list(generated)[-1] == "orders"  # targets first
        customer_ids = {c["id"] for c in generated["customers"]}
        category_ids = {c["id"] for c in generated["categories"]}
        for order in generated["orders"]:
            assert order["customer_id"] in customer_ids
            assert order["category_id"] in category_ids | {None}
            assert order["referrer_id"] in customer_ids | {None}
        seen: set[int] = set()
        for category in generated["categories"]:  # self-reference: an earlier row
            assert category["parent_id"] in seen | {None}
            seen.add(category["id"])
        with engine.begin() as conn:  # and the database agrees
            for name in reversed(generated):
                conn.execute(tables[name].delete())
            for name, batch in generated.items():
                if batch:
                    conn.execute(tables[name].insert(), batch)

    check()


def test_fk_strategies_reach_none_and_shared_parents() -> None:
    metadata = sa.MetaData()
    schema = Schema(tuple(model_table(t) for t in shop(metadata)))
    s = rows_for_tables(schema, ["orders", "customers", "categories"])
    found = find(s, lambda g: len(g["orders"]) >= 2 and any(
        o["referrer_id"] is None for o in g["orders"])
        and len({o["customer_id"] for o in g["orders"]}) < len(g["orders"]))
    assert len(found["orders"]) >= 2


def test_fk_cycle_and_unknown_override_table_fail_with_one_line() -> None:
    a = Table("a", (Column("id", ColumnType("integer", length=4), False),
                    Column("b_id", ColumnType("integer", length=4))), ("id",),
              frozenset({ForeignKey(("b_id",), "b", ("id",))}))
    b = Table("b", (Column("id", ColumnType("integer", length=4), False),
                    Column("a_id", ColumnType("integer", length=4))), ("id",),
              frozenset({ForeignKey(("a_id",), "a", ("id",))}))
    with pytest.raises(SpecError, match="foreign keys form a cycle between a, b"):
        rows_for_tables(Schema((a, b)), ["a", "b"])
    with pytest.raises(SpecError, match="overrides for 'c'"):
        rows_for_tables(Schema((a, b)), ["a"], overrides={"c": {}})


def test_untyped_fk_column_takes_the_referenced_type() -> None:
    parent = Table("p", (Column("code", ColumnType("uuid"), False),), ("code",))
    child = Table("c", (Column("id", ColumnType("integer", length=4), False),
                        Column("p_code", ColumnType("unknown"), False)), ("id",),
                  frozenset({ForeignKey(("p_code",), "p", ("code",))}))
    value = find(row(child, schema=Schema((parent, child))), lambda r: True)["p_code"]
    assert len(str(value)) == 36


@given(from_column(Column("s", ColumnType("interval"), False)))
def test_intervals_stay_within_a_century(value: timedelta) -> None:
    assert abs(value) <= timedelta(days=36500)


CODES = Table("codes", (Column("code", ColumnType("string", length=3, variant="char"), False),),
              primary_key=("code",))


@given(rows(CODES, min_size=2))
def test_char_keys_are_unique_as_the_database_pads_them(generated: list[dict]) -> None:
    stripped = [r["code"].rstrip(" ") for r in generated]
    assert len(set(stripped)) == len(stripped)


@pytest.mark.parametrize("varying", ["project", "run_no", "name"])
def test_a_write_may_share_all_key_columns_but_one_with_a_seen_record(varying: str) -> None:
    """The state machine's writes: a second artifact of a run, a second run of a project,
    one name under two runs, each reachable without a rule for this key."""
    seen = Seen()
    seen.remember([{"project": "p", "run_no": 7, "name": "n", "label": "x"}])
    fresh = st.fixed_dictionaries({"project": st.text(max_size=3),
                                   "run_no": st.integers(100, 200),
                                   "name": st.text(max_size=3), "label": st.text()})
    writes = seen.reusing(fresh, ["label"], key=["project", "run_no", "name"])
    old = {"project": "p", "run_no": 7, "name": "n"}
    found = find(writes, lambda r: all(r[c] == v for c, v in old.items() if c != varying)
                 and r[varying] != old[varying])
    assert found[varying] != old[varying]
