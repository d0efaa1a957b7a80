"""`python -m pytest_dualwrite drift`: the models-vs-migrations table, without a test run.

The pytest item `models_match_migrations` answers the same question inside a test session;
this command exists for the moments a session is too much: a developer who just edited a
model and wants the answer in a second, a pre-commit hook or a CI step that wants an exit
code (0 no drift, 1 drift, 2 a setting or file to fix). It runs the same producers, the
same comparer and prints the same table as the item, and it reads the same `dualwrite_*`
keys from the project's pytest configuration, so the command and the item never disagree
about what is compared.

No pytest import: the command must start fast and work where pytest is not the runner.
"""

from __future__ import annotations

import argparse
import configparser
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .backends.base import Backend
from .errors import ConfigError, DualWriteError, mask_password
from .settings import BACKEND_ALIASES, SETTINGS, Setting

BACKEND_CHOICES = ("static", "sqlite", "postgres")
# pytest's own search order: the first file that holds a pytest section is the project's
# configuration (pytest.ini wins even when it holds no section, as in pytest itself).
CONFIG_FILES = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
_INI_SECTIONS = {"pytest.ini": "pytest", ".pytest.ini": "pytest", "tox.ini": "pytest",
                 "setup.cfg": "tool:pytest"}
# Our options, by the name of the setting they stand in for (settings.SETTINGS).
_FLAGS = {"migrations": "--migrations", "dialect": "--dialect", "models": "--models",
          "postgres_url": "--postgres-url", "drift_ignore": "--ignore"}
_SETTINGS: dict[str, Setting] = {s.name: s for s in SETTINGS}


# --- the project's pytest configuration ------------------------------------------------------

@dataclass(frozen=True)
class ProjectConfig:
    """The pytest configuration file a project already has, and the keys it sets.

    Read here rather than through pytest so the command needs no test session; values
    are kept as the text pytest's `getini` would hand the plugin.
    """

    path: Path | None = None
    section: str = ""
    values: Mapping[str, str] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        """Relative paths in the file are relative to it, as pytest's rootdir makes them."""
        return self.path.parent if self.path is not None else Path.cwd()

    def where(self, key: str) -> str:
        """`pyproject.toml [tool.pytest.ini_options] dualwrite_models`: where to fix a value."""
        if self.path is None:
            return key
        return f"{self.path.name} {self.section} {key}".replace("  ", " ")

    def describe(self) -> str:
        return f"{self.path.name} {self.section}".strip() if self.path else "a pytest ini file"


def _text(value: Any) -> str:
    """A TOML value as the ini text pytest would give (`true`, lists joined by spaces)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value)
    return str(value)


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError:
            raise ConfigError(f"{path}: reading pyproject.toml needs Python 3.11+ or "
                              "`pip install tomli`; or pass the settings as options") from None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it as TOML: {exc}") from None


def _read_pyproject(path: Path) -> ProjectConfig | None:
    tool = _load_toml(path).get("tool", {})
    table = tool.get("pytest") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        return None
    options = table.get("ini_options")
    if isinstance(options, dict):
        return ProjectConfig(path, "[tool.pytest.ini_options]",
                             {str(k): _text(v) for k, v in options.items()})
    # pytest 9's native table: settings directly under [tool.pytest].
    return ProjectConfig(path, "[tool.pytest]", {str(k): _text(v) for k, v in table.items()
                                                 if not isinstance(v, dict)})


def _read_ini(path: Path) -> ProjectConfig | None:
    section = _INI_SECTIONS.get(path.name, "pytest")
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except (OSError, UnicodeDecodeError, configparser.Error) as exc:
        reason = " ".join(str(exc).split())
        raise ConfigError(f"{path}: cannot read it as an ini file: {reason}") from None
    if not parser.has_section(section):
        if path.name in ("pytest.ini", ".pytest.ini"):
            return ProjectConfig(path, f"[{section}]", {})
        return None
    return ProjectConfig(path, f"[{section}]", dict(parser.items(section)))


def read_config(path: Path) -> ProjectConfig | None:
    """The pytest settings in one file; None when the file holds no pytest section."""
    if path.name == "pyproject.toml" or path.suffix == ".toml":
        return _read_pyproject(path)
    return _read_ini(path)


def find_config(explicit: str | None = None, start: Path | None = None) -> ProjectConfig:
    """`explicit` (--config), else the first pytest configuration from `start` upwards.

    Upwards like pytest's rootdir search, so running the command from a subfolder of the
    project reads the same file the test run reads.
    """
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise ConfigError(f"--config {explicit}: no such file")
        config = read_config(path.resolve())
        if config is None:
            wanted = "[tool.pytest.ini_options]" if path.suffix == ".toml" else \
                f"[{_INI_SECTIONS.get(path.name, 'pytest')}]"
            raise ConfigError(f"--config {explicit}: the file has no {wanted} section")
        return config
    folder = (start or Path.cwd()).resolve()
    for directory in (folder, *folder.parents):
        for name in CONFIG_FILES:
            candidate = directory / name
            if candidate.is_file() and (config := read_config(candidate)) is not None:
                return config
    return ProjectConfig()


# --- options ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DriftOptions:
    """Everything one drift comparison needs, resolved: CLI > env DUALWRITE_* > file."""

    migrations: Path
    models: str
    dialect: str = "postgres"
    backend: str = "static"
    postgres_url: str | None = None
    postgres_url_where: str = "--postgres-url"
    ignore: tuple[str, ...] = ()
    allow_gaps: bool = False
    containers: bool = True
    postgres_bin: tuple[str, ...] | None = None


def _resolve(name: str, given: Any, env: Mapping[str, str],
             config: ProjectConfig) -> tuple[Any, str, bool]:
    """(value, where it came from, whether from the config file) for one setting."""
    setting = _SETTINGS[name]
    candidates: list[tuple[str, Any, bool]] = [(_FLAGS.get(name, ""), given, False)]
    if setting.env:
        candidates.append((setting.env, env.get(setting.env), False))
    if setting.ini:
        candidates.append((config.where(setting.ini), config.values.get(setting.ini), True))
    for where, raw, from_file in candidates:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            return setting.parse(raw), where, from_file
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    return setting.default, "default", False


def _missing(key: str, flag: str, example: str, config: ProjectConfig) -> ConfigError:
    env = _SETTINGS[key.removeprefix("dualwrite_")].env
    return ConfigError(f"{key} is not set: pass {flag} {example}, set {env}, or add "
                       f"{key} to {config.describe()}")


def resolve_options(args: argparse.Namespace, env: Mapping[str, str] | None = None,
                    config: ProjectConfig | None = None) -> DriftOptions:
    """The options of one run, each from the first place that gives it."""
    env = os.environ if env is None else env
    config = config if config is not None else find_config(getattr(args, "config", None))
    ignore_given = " ".join(args.ignore) if getattr(args, "ignore", None) else None
    values: dict[str, Any] = {}
    where: dict[str, str] = {}
    for name, given in (("migrations", args.migrations), ("dialect", args.dialect),
                        ("models", args.models), ("postgres_url", args.postgres_url),
                        ("drift_ignore", ignore_given), ("allow_gaps", None),
                        ("containers", None), ("postgres_bin", None)):
        value, place, from_file = _resolve(name, given, env, config)
        if name == "migrations" and value:  # relative to the file that names it, as in pytest
            value = (config.folder if from_file else Path.cwd()) / value
        values[name], where[name] = value, place
    if not values["models"]:
        raise _missing("dualwrite_models", "--models", "package.module:Base", config)
    if not values["migrations"]:
        raise _missing("dualwrite_migrations", "--migrations", "FOLDER", config)
    from .migrations.model import canonical_dialect

    try:
        dialect = canonical_dialect(values["dialect"])
    except ValueError as exc:
        raise ConfigError(f"{where['dialect']}: {exc}") from None
    return DriftOptions(
        migrations=Path(values["migrations"]), models=values["models"], dialect=dialect,
        backend=getattr(args, "backend", None) or "static",
        postgres_url=values["postgres_url"], postgres_url_where=where["postgres_url"],
        ignore=tuple(values["drift_ignore"]), allow_gaps=bool(values["allow_gaps"]),
        containers=bool(values["containers"]), postgres_bin=values["postgres_bin"])


def add_import_paths(config: ProjectConfig, cwd: Path | None = None) -> None:
    """Make `app.models:Base` importable as it is in the test run.

    The current folder first (the command is run from the project), then the file's
    `pythonpath` entries, which pytest itself would put on sys.path.
    """
    folders = [(cwd or Path.cwd()).resolve()]
    folders += [(config.folder / p).resolve() for p in config.values.get("pythonpath", "").split()]
    for folder in reversed(folders):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))


# --- the comparison --------------------------------------------------------------------------

@dataclass(frozen=True)
class DriftResult:
    """The differences found and the table that shows them (what the command prints)."""

    differences: tuple[Any, ...]
    table: str

    @property
    def exit_code(self) -> int:
        return 1 if self.differences else 0


def _postgres_backend(options: DriftOptions) -> Backend:
    from .backends.postgres import PostgresBackend, parse_url
    from .backends.resolve import choose_postgres, start_postgres
    from .errors import BackendUnavailable

    backend: Backend
    if options.postgres_url:
        where = options.postgres_url_where
        backend = PostgresBackend(parse_url(options.postgres_url, where),
                                  origin=f"url from {where}")
    else:  # the plugin's own fall-backs: a container, else a local cluster
        choice = choose_postgres(None, containers=options.containers,
                                 bin_search=options.postgres_bin)
        if choice.kind == "none":
            raise BackendUnavailable("--backend postgres: no --postgres-url given, and "
                                     + choice.skip_reason())
        backend = start_postgres(choice)
    try:
        backend.admin()  # type: ignore[attr-defined]  # connect now: an unreachable server is one line, not a traceback
    except BaseException:
        backend.close()
        raise
    return backend


def _backend(options: DriftOptions) -> Backend:
    if options.backend == "sqlite":
        from .backends.sqlite import SqliteBackend
        from .migrations.dialects import register_sqlite_functions

        return SqliteBackend(on_connect=register_sqlite_functions)
    return _postgres_backend(options)


def check_drift(options: DriftOptions) -> DriftResult:
    """Compare the models with what the migrations build, on `options.backend`.

    `static` folds the SQL files with sqlglot (no database); `sqlite` and `postgres` apply
    every migration to a fresh database of their own, reflect it, and drop it again.
    Raises a `DualWriteError` (one line) for anything the user must fix first.
    """
    from .migrations.discovery import discover
    from .migrations.runner import Runner
    from .schema.diff import diff, notes_for
    from .schema.from_models import from_models
    from .schema.render import render

    migrations = discover(options.migrations, allow_gaps=options.allow_gaps or None)
    target = options.dialect if options.backend == "static" else options.backend
    expected = from_models(options.models, dialect=target)
    runner = Runner(migrations, options.dialect, target)
    if options.backend == "static":
        from .migrations.static import static_sql
        from .schema.from_sql import from_sql

        sql = static_sql(migrations, runner)
        actual = from_sql(sql.statements, sql.dialect)
        path = f"static ({sql.label})"
    else:
        from .schema.from_database import from_database

        backend = _backend(options)
        try:
            db = backend.create_database()
            runner.migrate_to_index_engine(db.engine, len(runner.migrations))
            actual = from_database(db.engine)
        finally:
            backend.close()
        path = options.backend
    # The tool's own bookkeeping table (schema_migrations) is not the user's schema.
    differences = diff(expected, actual, ignore=(*options.ignore, *runner.own_tables))
    table = render(differences, expected="models", actual="migrations",
                   title=f"models vs migrations ({path})", notes=notes_for(expected, actual))
    return DriftResult(tuple(differences), table)


def run_drift(args: argparse.Namespace) -> int:
    """The `drift` command: print the table; 0 no drift, 1 drift, 2 a user error."""
    try:
        config = find_config(args.config)
        options = resolve_options(args, os.environ, config)
        add_import_paths(config)
        result = check_drift(options)
    except DualWriteError as exc:
        print(f"pytest-dualwrite drift: {mask_password(' '.join(str(exc).split()))}",
              file=sys.stderr)
        return 2
    print(mask_password(result.table))
    return result.exit_code


def _backend_name(value: str) -> str:
    name = BACKEND_ALIASES.get(value.strip().lower(), value.strip().lower())
    if name not in BACKEND_CHOICES:
        raise argparse.ArgumentTypeError(
            f"unknown backend {value!r} (choose from {', '.join(BACKEND_CHOICES)})")
    return name


def add_drift_command(subparsers: Any, run: Callable[[argparse.Namespace], int] = run_drift,
                      ) -> argparse.ArgumentParser:
    """Add `drift` to the `python -m pytest_dualwrite` subcommands."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "drift", help="print the models-vs-migrations table; exit 1 on drift",
        description="Compare the SQLAlchemy models with the schema the migrations build. "
                    "Options not given are read from DUALWRITE_* variables, then from the "
                    "project's pytest configuration (dualwrite_* keys). Exit status: 0 no "
                    "drift, 1 drift, 2 a setting or file to fix.")
    parser.add_argument("--migrations", metavar="DIR", help="folder of numbered migrations "
                        "(dualwrite_migrations)")
    parser.add_argument("--dialect", help="dialect the .sql files are written in "
                        "(dualwrite_dialect; default postgres)")
    parser.add_argument("--models", metavar="PKG.MOD:BASE", help="SQLAlchemy declarative base "
                        "or MetaData (dualwrite_models)")
    parser.add_argument("--backend", type=_backend_name, default="static",
                        metavar="{static,sqlite,postgres}",
                        help="static: fold the SQL files, no database (default); sqlite or "
                             "postgres: apply the migrations to a fresh database and reflect it")
    parser.add_argument("--postgres-url", metavar="URL", help="Postgres server for --backend "
                        "postgres; a database of its own is created there and dropped "
                        "(dualwrite_postgres_url)")
    parser.add_argument("--ignore", action="append", metavar="PATTERN",
                        help="ignore differences: table, table.column or kind:index; "
                             "repeatable (dualwrite_drift_ignore)")
    parser.add_argument("--config", metavar="FILE", help="pyproject.toml or pytest.ini to read "
                        "dualwrite_* keys from (default: the project's, found like pytest does)")
    parser.set_defaults(run=run)
    return parser


__all__ = ["DriftOptions", "DriftResult", "ProjectConfig", "add_drift_command", "check_drift",
           "find_config", "resolve_options", "run_drift"]
