"""One resolver for every setting: command line > environment > ini > default.

Each resolved value remembers where it came from, so the report header can say
`postgres url (from env)` and a bad value can name the exact setting to fix.
No pytest import: the plugin hands in three plain mappings.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from .dualwrite.bounds import DEFAULT_CALL_TIMEOUT, DEFAULT_MAX_BATCHES
from .errors import ConfigError
from .migrations.model import canonical_dialect
from .profiles import PROFILES, parse_profile

KNOWN_BACKENDS = ("sqlite", "postgres")
BACKEND_ALIASES = {"postgresql": "postgres", "pg": "postgres", "sqlite3": "sqlite"}


class Names(tuple):  # type: ignore[type-arg]
    """Parsed names that remember how they were written (`all` vs `postgres`), also when
    argparse parsed them before `resolve` sees them."""

    raw: str = ""


def parse_backends(value: str) -> tuple[str, ...]:
    """`sqlite,postgres`, `sqlite postgres` or `all` -> ("sqlite", "postgres")."""
    names: list[str] = []
    for raw in value.replace(",", " ").split():
        name = BACKEND_ALIASES.get(raw.lower(), raw.lower())
        if name == "all":
            names.extend(KNOWN_BACKENDS)
            continue
        if name not in KNOWN_BACKENDS:
            known = ", ".join((*KNOWN_BACKENDS, "all"))
            raise ValueError(f"unknown backend {raw!r} (choose from {known})")
        names.append(name)
    if not names:
        raise ValueError("no backend named (choose from sqlite, postgres, all)")
    parsed = Names(dict.fromkeys(names))
    parsed.raw = value
    return parsed


MAX_EXAMPLES = 1_000_000  # hypothesis takes any int; more than this would never end


def _whole(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None


def parse_positive_int(value: str) -> int:
    number = _whole(value)
    if number < 1:
        raise ValueError(f"{value!r} must be at least 1")
    if number > MAX_EXAMPLES:
        raise ValueError(f"{value!r} is more than {MAX_EXAMPLES:,} (a run would never end)")
    return number


def parse_seconds(value: str) -> float:
    """`30`, `2.5`, `0` (no limit)."""
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{value!r} must be 0 (no limit) or a positive number of seconds")
    return seconds


def parse_limit(value: str) -> int:
    """`10000`, `0` (no limit)."""
    number = _whole(value)
    if number < 0:
        raise ValueError(f"{value!r} must be 0 (no limit) or more")
    return number


def parse_bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{value!r} is not true or false")


def parse_list(value: str) -> tuple[str, ...]:
    return tuple(part for part in value.replace(",", " ").split() if part)


DRIFT_KINDS = ("table", "column", "type", "nullable", "default", "primary_key", "unique",
               "foreign_key", "check", "index", "enum")
_GLOB_NAME = re.compile(r"[\w$*?\[\]!\-]+(\.[\w$*?\[\]!\-]+)*")


def parse_drift_ignore(value: str) -> tuple[str, ...]:
    """Rules `table`, `table.column` or `kind:<kind>` (globs allowed): anything else is a
    typo that would silently ignore nothing."""
    rules = parse_list(value)
    for rule in rules:
        kind, colon, pattern = rule.partition(":")
        if colon:
            if kind.lower() != "kind" or not any(fnmatchcase(k, pattern.lower())
                                                 for k in DRIFT_KINDS):
                raise ValueError(f"{rule!r} is not a rule: use table, table.column or "
                                 f"kind:<{'|'.join(DRIFT_KINDS)}>")
        elif not _GLOB_NAME.fullmatch(rule):
            raise ValueError(f"{rule!r} is not a rule: use table, table.column or kind:index")
    return rules


def parse_text(value: str) -> str:
    return value.strip()


def parse_dialect(value: str) -> str:
    """`postgresql`, `pg` -> `postgres`: an unknown dialect fails here, naming the setting,
    not later inside collection."""
    return canonical_dialect(value)


@dataclass(frozen=True)
class Setting:
    """A setting and the three places a user may give it."""

    name: str
    cli: str | None  # option as typed, e.g. "--dualwrite-backend"
    env: str | None
    ini: str | None
    default: Any
    parse: Callable[[str], Any] = parse_text
    help: str = ""
    secret: bool = False  # a URL that may hold a password: shown masked

    @property
    def dest(self) -> str:
        return self.cli.lstrip("-").replace("-", "_") if self.cli else self.name


SETTINGS: tuple[Setting, ...] = (
    Setting("backends", "--dualwrite-backend", "DUALWRITE_BACKENDS", "dualwrite_backends",
            ("sqlite",), parse_backends,
            "backends to run on: sqlite, postgres, a comma list, or all (default: sqlite)"),
    Setting("postgres_url", "--dualwrite-postgres-url", "DUALWRITE_POSTGRES_URL",
            "dualwrite_postgres_url", None, parse_text,
            "Postgres server URL; the plugin creates and drops its own databases there",
            secret=True),
    Setting("postgres_bin", "--dualwrite-postgres-bin", "DUALWRITE_POSTGRES_BIN",
            "dualwrite_postgres_bin", None, parse_list,
            "folders holding Postgres server binaries (initdb, postgres) for a local cluster"),
    Setting("containers", None, "DUALWRITE_CONTAINERS", "dualwrite_containers", True, parse_bool,
            "try a testcontainers Postgres when no URL is given (default: true)"),
    Setting("examples", "--dualwrite-examples", "DUALWRITE_EXAMPLES", "dualwrite_examples",
            None, parse_positive_int, "hypothesis max_examples for the plugin's own items"),
    Setting("profile", "--dualwrite-profile", "DUALWRITE_PROFILE", "dualwrite_profile", None,
            parse_profile, f"hypothesis profile for the plugin's items: {', '.join(PROFILES)} "
            "(quick for local runs, thorough for CI; default: hypothesis' current profile)"),
    Setting("report", "--dualwrite-report", "DUALWRITE_REPORT", "dualwrite_report", None,
            parse_text, "write a JSON report of the run to this path"),
    Setting("migrations", "--dualwrite-migrations", "DUALWRITE_MIGRATIONS",
            "dualwrite_migrations", None, parse_text, "folder of numbered migrations"),
    Setting("alembic", "--dualwrite-alembic", "DUALWRITE_ALEMBIC", "dualwrite_alembic", None,
            parse_text, "alembic.ini, or a folder with env.py and versions/: the revisions "
            "are the history (instead of dualwrite_migrations)"),
    Setting("alembic_base", "--dualwrite-alembic-base", "DUALWRITE_ALEMBIC_BASE",
            "dualwrite_alembic_base", None, parse_text, "module:Base (or :metadata) whose "
            "create_all makes the schema the first Alembic revision starts from, for a "
            "history whose base revision is empty"),
    Setting("dialect", "--dualwrite-dialect", "DUALWRITE_DIALECT", "dualwrite_dialect",
            "postgres", parse_dialect, "dialect the .sql migrations are written in"),
    Setting("models", "--dualwrite-models", "DUALWRITE_MODELS", "dualwrite_models", None,
            parse_text, "SQLAlchemy MetaData or declarative base, as pkg.module:Base"),
    Setting("allow_gaps", None, None, "dualwrite_allow_gaps", False, parse_bool,
            "allow gaps in migration numbering"),
    Setting("drift_ignore", None, None, "dualwrite_drift_ignore", (), parse_drift_ignore,
            "drift ignore rules: table, table.column or kind:index"),
    Setting("drop_stale", "--dualwrite-drop-stale", None, None, False, parse_bool,
            "drop dualwrite_* databases left behind by earlier, interrupted runs"),
    Setting("call_timeout", "--dualwrite-call-timeout", "DUALWRITE_CALL_TIMEOUT",
            "dualwrite_call_timeout", DEFAULT_CALL_TIMEOUT, parse_seconds,
            "seconds one call of a user callable (write, update, delete, read, a backfill "
            f"batch) may take; 0: no limit (default: {DEFAULT_CALL_TIMEOUT:g})"),
    Setting("max_batches", "--dualwrite-max-batches", "DUALWRITE_MAX_BATCHES",
            "dualwrite_max_batches", DEFAULT_MAX_BATCHES, parse_limit,
            "batches one backfill run may yield before it is called endless; 0: no limit "
            f"(default: {DEFAULT_MAX_BATCHES})"),
    Setting("restrict_role", None, "DUALWRITE_RESTRICT_ROLE", "dualwrite_restrict_role", True,
            parse_bool, "on Postgres, run migrations and your code as a role of the run that "
            "owns only its databases, where the URL's role may create one (default: true)"),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Resolved:
    value: Any
    source: str  # "cli" | "env" | "ini" | "default"
    raw: str | None = None  # as the user wrote it


@dataclass
class Settings:
    """The resolved settings of one run, with where each came from."""

    values: dict[str, Resolved] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.values[name].value
        except KeyError:
            raise AttributeError(name) from None

    def source(self, name: str) -> str:
        return self.values[name].source

    def where(self, name: str) -> str:
        """The option, variable or ini key the value came from, to name in an error."""
        setting = next(s for s in SETTINGS if s.name == name)
        return _where(setting, self.source(name))

    def postgres_required(self) -> bool:
        """Postgres named on purpose (not through `all` nor the default): a run that cannot
        have it is an error, not a skip."""
        raw = self.values["backends"].raw or ""
        return any(BACKEND_ALIASES.get(w.lower(), w.lower()) == "postgres"
                   for w in raw.replace(",", " ").split())


def _where(setting: Setting, source: str) -> str:
    return {"cli": setting.cli, "env": setting.env, "ini": setting.ini}.get(source) or setting.name


def resolve(
    cli: Mapping[str, Any], env: Mapping[str, str], ini: Mapping[str, Any]
) -> Settings:
    """Pick each setting from the first place that gives it; parse it; name the place on error.

    `cli` is keyed by option dest (None when not given), `ini` by ini key (None or "" when absent).
    """
    settings = Settings()
    for setting in SETTINGS:
        candidates: list[tuple[str, Any]] = []
        if setting.cli is not None:
            candidates.append(("cli", cli.get(setting.dest)))
        if setting.env is not None:
            candidates.append(("env", env.get(setting.env)))
        if setting.ini is not None:
            candidates.append(("ini", ini.get(setting.ini)))
        for source, raw in candidates:
            if raw is None or raw == "" or raw == []:
                continue
            if isinstance(raw, list):
                raw = " ".join(raw)
            if not isinstance(raw, str):  # parsed by argparse already
                settings.values[setting.name] = Resolved(raw, source, getattr(raw, "raw", None))
                break
            try:
                value = setting.parse(raw)
            except ValueError as exc:
                raise ConfigError(f"{_where(setting, source)}: {exc}") from None
            settings.values[setting.name] = Resolved(value, source, raw)
            break
        else:
            settings.values[setting.name] = Resolved(setting.default, "default")
    if settings.migrations and settings.alembic:
        raise ConfigError(
            f"{_where(SETTINGS_BY_NAME['alembic'], settings.source('alembic'))} and "
            f"{_where(SETTINGS_BY_NAME['migrations'], settings.source('migrations'))} are "
            "both set: a history is either a migrations folder or an Alembic one; keep one")
    if settings.alembic_base and not settings.alembic:
        raise ConfigError(
            f"{_where(SETTINGS_BY_NAME['alembic_base'], settings.source('alembic_base'))} is "
            "set without dualwrite_alembic: it names the schema an Alembic history starts "
            "from; set dualwrite_alembic too, or remove it")
    return settings
