"""The ALTER TABLE forms SQLite lacks, done at apply time on the table as it is.

A change that keeps the table's on-disk layout (NOT NULL, DEFAULT, CHECK, FOREIGN KEY, a
type of the same affinity) rewrites the stored CREATE TABLE in place, SQLite's documented
`writable_schema` procedure, after checking existing rows as Postgres would. A layout
change (PRIMARY KEY, inline UNIQUE) rebuilds the table; that needs foreign keys off,
which SQLite cannot do inside the migration's transaction, so a table other tables
reference is refused with a clear error instead.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from .indexes import name_index, unnamed
from .statements import drops_public, native_add_column
from .table import (
    SCHEMA_CHANGED,
    Refused,
    add_column_def,
    enum_check_column,
    layout,
    named_constraints,
    quote,
    read_table,
    write_in_place,
)
from .types import (
    ENUM_CHECK_SUFFIX,
    LIMIT_CHECK_SUFFIX,
    affinity,
    generate,
    limit_check,
    not_null,
    parenthesize_default,
)
from .views import keep_view_columns


def sqlite_rebuild_statements(conn: Any, alter: exp.Expr) -> list[str]:
    """The SQLite statements doing one `needs_apply_time` statement on `conn` now.

    `conn` is a SQLAlchemy Connection inside the migration's transaction; run the result
    on it at once and in order. Raises Refused when the change cannot be made.
    """
    if unnamed(alter):
        return [generate(name_index(conn, alter))]  # type: ignore[arg-type]
    if drops_public(alter):
        return drop_everything(conn, bool(alter.args.get("cascade")))
    return _Alter(conn, alter).statements()


def drop_everything(conn: Any, cascade: bool) -> list[str]:
    """DROP SCHEMA public: every table and view goes (the runner's own bookkeeping stays).

    Foreign keys are checked at commit (`defer_foreign_keys`), when all tables are gone.
    """
    rows = conn.exec_driver_sql(
        "SELECT type, name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT "
        "LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'dualwrite\\_%' ESCAPE '\\' "
        "ORDER BY type DESC").all()
    if rows and not cascade:
        raise Refused("cannot drop schema public because other objects depend on it "
                      "(Postgres asks for CASCADE)")
    return ["PRAGMA defer_foreign_keys=ON",
            *(f"DROP {kind.upper()} {quote(name)}" for kind, name in rows)]


class _Alter:
    def __init__(self, conn: Any, alter: exp.Alter) -> None:
        self.conn = conn
        self.alter = alter
        self.action = alter.args["actions"][0]
        self.table = alter.this.name

    def scalar(self, sql: str, *params: Any) -> Any:
        return self.conn.exec_driver_sql(sql, params).scalar()

    def statements(self) -> list[str]:
        found = read_table(self.conn, self.table)
        if found is None:
            if self.alter.args.get("exists"):
                return []  # ALTER TABLE IF EXISTS: Postgres only notes it
            raise Refused(f"no such table: {self.table}")
        self.table, self.old = found
        self.new = self.old.copy()
        self.before: list[str] = []
        self.after: list[str] = []
        handler = {exp.ColumnDef: self.add_column, exp.AlterColumn: self.alter_column,
                   exp.AddConstraint: self.add_constraint, exp.Drop: self.drop,
                   exp.RenameColumn: self.rename, exp.AlterRename: self.rename}.get(
                       type(self.action))
        if handler is None:
            raise Refused(f"SQLite cannot {self.action.sql('sqlite')}")
        done = handler()
        if done is not None:
            return done
        return [*self.before, *self.rewrite(), *self.after]

    # --- the table definition --------------------------------------------------------------
    def columns(self, tree: exp.Create) -> dict[str, exp.ColumnDef]:
        return {c.name.lower(): c for c in tree.this.expressions if isinstance(c, exp.ColumnDef)}

    def column(self, name: str) -> exp.ColumnDef:
        column = self.columns(self.new).get(name.lower())
        if column is None:
            raise Refused(f"column {name} of table {self.table} does not exist")
        return column

    def rewrite(self) -> list[str]:
        """Store the new definition: in place when the layout allows, else a rebuild."""
        if self.new == self.old:
            return []
        if layout(self.new) == layout(self.old):
            return [*write_in_place(self.table, self.new), *SCHEMA_CHANGED]
        return self.rebuild()

    def rebuild(self) -> list[str]:
        """SQLite's 12-step table rebuild, where foreign keys allow it inside a transaction."""
        if self.scalar("PRAGMA foreign_keys"):
            referencing = self.conn.exec_driver_sql(
                "SELECT DISTINCT m.name FROM sqlite_master m, pragma_foreign_key_list(m.name) f "
                "WHERE m.type = 'table' AND lower(f.\"table\") = lower(?)",
                (self.table,)).scalars().all()
            if referencing:
                raise Refused(
                    f"changing table {self.table} this way means rebuilding it, and "
                    f"{', '.join(sorted(referencing))} reference(s) it: SQLite cannot turn "
                    f"foreign keys off inside the migration's transaction")
        temp = f"dualwrite_rebuild_{self.table}"
        created = self.new.copy()
        created.this.set("this", exp.to_table(quote(temp)))
        kept = [c for c in self.columns(self.new) if c in self.columns(self.old)]
        names = ", ".join(quote(self.columns(self.new)[c].name) for c in kept)
        dropped = {d.split(" ", 2)[2] for d in self.before if d.startswith("DROP INDEX ")}
        others = [sql for name, sql in self.conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND tbl_name = ? AND sql IS NOT NULL", (self.table,)) if quote(name) not in dropped]
        legacy = self.scalar("PRAGMA legacy_alter_table")
        return [
            generate(created),
            f"INSERT INTO {quote(temp)} ({names}) SELECT {names} FROM {quote(self.table)}",
            f"DROP TABLE {quote(self.table)}",
            "PRAGMA legacy_alter_table=ON",  # views naming the table stay as written
            f"ALTER TABLE {quote(temp)} RENAME TO {quote(self.table)}",
            f"PRAGMA legacy_alter_table={int(legacy or 0)}",
            *others,
        ]

    # --- actions ----------------------------------------------------------------------------
    def rename(self) -> list[str]:
        action = self.action
        if isinstance(action, exp.RenameColumn) and action.args.get("exists") and (
                action.this.name.lower() not in self.columns(self.old)):
            return []
        single = self.alter.copy()
        single.set("exists", False)
        single.args["actions"][0].set("exists", False)
        views = keep_view_columns(self.conn, action.this.name) if isinstance(
            action, exp.RenameColumn) else []
        return [*views, generate(single)]

    def add_column(self) -> list[str] | None:
        column: exp.ColumnDef = self.action.copy()
        if column.name.lower() in self.columns(self.old):
            if column.args.get("exists"):
                return []
            raise Refused(f"column {column.name} of table {self.table} already exists")
        column.set("exists", False)
        if native_add_column(column):
            return [f"ALTER TABLE {quote(self.table)} ADD COLUMN {generate(column)}"]
        # Add the bare column, fill it as Postgres would, then give it its constraints.
        kinds = [c.kind for c in column.constraints]
        if any(isinstance(k, exp.PrimaryKeyColumnConstraint) for k in kinds):
            raise Refused("SQLite cannot add a PRIMARY KEY column to an existing table")
        bare = exp.ColumnDef(this=column.this.copy(), kind=column.args.get("kind"), constraints=[
            c.copy() for c in column.constraints
            if isinstance(c.kind, (exp.CheckColumnConstraint, exp.Reference,
                                   exp.CollateColumnConstraint))])
        self.before.append(f"ALTER TABLE {quote(self.table)} ADD COLUMN {generate(bare)}")
        default = next((k.this for k in kinds if isinstance(k, exp.DefaultColumnConstraint)), None)
        if default is not None:
            value = default.this if isinstance(default, exp.Paren) else default
            self.before.append(f"UPDATE {quote(self.table)} SET {quote(column.name)} = "
                               f"{generate(value)}")
        elif any(not_null(k) for k in kinds) and self.scalar(
                f"SELECT EXISTS (SELECT 1 FROM {quote(self.table)})"):
            raise Refused(f'column "{column.name}" of relation "{self.table}" contains null '
                          f"values")
        for c in list(column.constraints):
            if isinstance(c.kind, exp.UniqueColumnConstraint):
                c.pop()
                self.after.append(self.unique_index(c.this, [column.name]))
        add_column_def(self.old, bare)  # what SQLite's ADD COLUMN leaves
        add_column_def(self.new, column)
        return None

    def alter_column(self) -> None:
        action: exp.AlterColumn = self.action
        column = self.column(action.this.name)
        q_column, q_table = quote(column.name), quote(self.table)
        if action.args.get("dtype") is not None:
            self.change_type(column, action)
        elif action.args.get("allow_null") is False:  # SET NOT NULL
            if self.scalar(f"SELECT EXISTS (SELECT 1 FROM {q_table} WHERE {q_column} IS NULL)"):
                raise Refused(f'column "{column.name}" of relation "{self.table}" contains '
                              f"null values")
            # An explicit `NULL` is a NotNullColumnConstraint too (allow_null): replace it.
            _remove(column, exp.NotNullColumnConstraint)
            column.append("constraints", exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
        elif action.args.get("allow_null"):  # DROP NOT NULL
            _remove(column, exp.NotNullColumnConstraint)
        elif action.args.get("drop"):  # DROP DEFAULT
            _remove(column, exp.DefaultColumnConstraint)
        elif action.args.get("default") is not None:  # SET DEFAULT
            _remove(column, exp.DefaultColumnConstraint)
            default = exp.DefaultColumnConstraint(this=action.args["default"].copy())
            parenthesize_default(default)
            column.append("constraints", exp.ColumnConstraint(kind=default))
        else:
            raise Refused(f"SQLite has no form of ALTER COLUMN {action.sql('sqlite')}")

    def change_type(self, column: exp.ColumnDef, action: exp.AlterColumn) -> None:
        new_type: exp.DataType = action.args["dtype"].copy()
        old_sql = generate(column.args["kind"]) if column.args.get("kind") else ""
        if layout(self.new)[3] == column.name.lower() and affinity(generate(new_type)) == (
                "INTEGER"):
            return  # the rowid is a 64-bit integer already; keep it the rowid
        for c in list(column.constraints):
            if c.this is not None and c.name.endswith((ENUM_CHECK_SUFFIX, LIMIT_CHECK_SUFFIX)):
                c.pop()  # the enum or limit CHECK of the old type
        column.set("kind", new_type)
        limit = limit_check(column.name, new_type)
        if limit is not None:  # first, as `types.column_type` puts it
            column.set("constraints", [limit, *column.constraints])
        using = action.args.get("using")
        if using or affinity(old_sql) != affinity(generate(new_type)):
            value = exp.Cast(this=using.copy() if using else exp.column(column.name, quoted=True),
                             to=new_type.copy())
            self.after.append(f"UPDATE {quote(self.table)} SET {quote(column.name)} = "
                              f"{generate(value)}")

    def add_constraint(self) -> list[str] | None:
        node = self.action.expressions[0]
        name = node.name if isinstance(node, exp.Constraint) else None
        kind = node.expressions[0] if isinstance(node, exp.Constraint) else node
        validate = not self.alter.args.get("not_valid")
        if isinstance(kind, exp.UniqueColumnConstraint):
            columns = [e.name for e in kind.this.expressions] if kind.this else []
            return [self.unique_index(name, columns)]
        if isinstance(kind, exp.CheckColumnConstraint):
            enum_column = enum_check_column(name, kind)
            if validate:
                self.validate_check(name or f"{self.table}_check", kind.this)
            if enum_column is not None:  # an enum's CHECK sits on its column
                self.column(enum_column).append("constraints", exp.ColumnConstraint(
                    this=exp.to_identifier(name), kind=kind.copy()))
                return None
        elif isinstance(kind, exp.ForeignKey):
            if validate:
                self.validate_foreign_key(name or f"{self.table}_fkey", kind)
        elif not isinstance(kind, exp.PrimaryKey):
            raise Refused(f"SQLite has no form of {self.action.sql('sqlite')}")
        self.new.this.append("expressions", node.copy())
        return None

    def drop(self) -> list[str] | None:
        kind = str(self.action.args.get("kind") or "").upper()
        names = [e.name for e in self.action.args.get("tables") or []]
        if kind == "COLUMN":
            name = names[0]
            if name.lower() not in self.columns(self.old):
                if self.action.args.get("exists"):
                    return []
                raise Refused(f"column {name} of table {self.table} does not exist")
            indexes = self.conn.exec_driver_sql(
                "SELECT DISTINCT il.name FROM pragma_index_list(?) il, "
                "pragma_index_info(il.name) ii WHERE il.origin = 'c' AND lower(ii.name) = "
                "lower(?)", (self.table, name)).scalars().all()
            # Postgres drops the indexes and constraints on a dropped column; SQLite refuses
            # instead: the indexes go first, a constrained column by a rebuild without it.
            drops = [f"DROP INDEX {quote(i)}" for i in indexes]
            if self.unconstrain(name):
                self.before += drops
                return None
            return [*drops, f"ALTER TABLE {quote(self.table)} DROP COLUMN {quote(name)}"]
        if kind != "CONSTRAINT":
            raise Refused(f"SQLite has no form of {self.action.sql('sqlite')}")
        wanted = names[0].lower()
        for found, node in named_constraints(self.new):
            if found.lower() == wanted:
                node.pop()
                return None
        index = self.scalar("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                            "tbl_name = ? AND lower(name) = lower(?)", self.table, wanted)
        if index is not None:  # a UNIQUE constraint we made an index of
            return [f"DROP INDEX {quote(index)}"]
        if self.action.args.get("exists"):
            return []
        raise Refused(f'constraint "{names[0]}" of relation "{self.table}" does not exist')

    def unconstrain(self, name: str) -> bool:
        """Take column `name`, and every key, UNIQUE, FOREIGN KEY or CHECK naming it, out
        of the new definition; False (nothing taken) when none names it."""
        wanted = name.lower()
        column = self.columns(self.new)[wanted]
        kinds = (exp.PrimaryKeyColumnConstraint, exp.UniqueColumnConstraint, exp.Reference)
        found = [c for c in column.constraints if isinstance(c.kind, kinds)]
        for node in self.new.this.expressions:
            if isinstance(node, exp.ColumnDef):
                continue
            fk = node if isinstance(node, exp.ForeignKey) else node.find(exp.ForeignKey)
            names = fk.expressions if fk is not None else [  # its own columns, not the parent's
                n for n in node.find_all(exp.Column, exp.Identifier) if n is not node.this]
            if wanted in {n.name.lower() for n in names}:
                found.append(node)
        if not found:
            return False
        for node in [*found, column]:
            node.pop()
        return True

    # --- helpers ----------------------------------------------------------------------------
    def unique_index(self, name: Any, columns: list[str]) -> str:
        """ADD UNIQUE as a unique index: SQLite cannot add a UNIQUE constraint in place."""
        name = (name.name if isinstance(name, exp.Expr) else name) or (
            f"{self.table}_{'_'.join(columns)}_key")
        cols = ", ".join(quote(c) for c in columns)
        return f"CREATE UNIQUE INDEX {quote(name)} ON {quote(self.table)} ({cols})"

    def validate_check(self, name: str, check: exp.Expr) -> None:
        if self.scalar(f"SELECT EXISTS (SELECT 1 FROM {quote(self.table)} "
                       f"WHERE NOT ({generate(check)}))"):
            raise Refused(f'check constraint "{name}" of relation "{self.table}" is violated '
                          f"by some row")

    def validate_foreign_key(self, name: str, fk: exp.ForeignKey) -> None:
        columns = [e.name for e in fk.expressions]
        target = fk.args["reference"].this
        parent = target.this.name if isinstance(target, exp.Schema) else target.name
        keys = [e.name for e in target.expressions] if isinstance(target, exp.Schema) else [
            r[1] for r in sorted(self.conn.exec_driver_sql(
                f"PRAGMA table_info({quote(parent)})").all(), key=lambda r: r[5]) if r[5]]
        present = " AND ".join(f"c.{quote(c)} IS NOT NULL" for c in columns)
        pairs = zip(keys, columns, strict=True)
        match = " AND ".join(f"p.{quote(k)} = c.{quote(c)}" for k, c in pairs)
        if self.scalar(f"SELECT EXISTS (SELECT 1 FROM {quote(self.table)} c WHERE {present} "
                       f"AND NOT EXISTS (SELECT 1 FROM {quote(parent)} p WHERE {match}))"):
            raise Refused(f'insert or update on table "{self.table}" violates foreign key '
                          f'constraint "{name}"')


def _remove(column: exp.ColumnDef, kind: type[exp.Expr]) -> None:
    for c in list(column.constraints):
        if isinstance(c.kind, kind):
            c.pop()


