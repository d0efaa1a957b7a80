"""Alembic histories: the revisions of an `alembic.ini` (or of a folder holding `env.py`
and `versions/`), in dependency order, are the steps.

Each step is applied through Alembic itself: the user's `env.py` runs with
`config.attributes["connection"]` set to the plugin's connection (Alembic's documented
way to share a connection), and exactly one revision is migrated, so a branch and its
merge apply in the order Alembic's own walk gives. Alembic is imported only here, and
only when the `dualwrite_alembic` setting names a history.
"""

from __future__ import annotations

import re
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...errors import MigrationError
from ..model import Migration, PythonStep, SqlSource
from .base import Bookkeeping, Reader
from .history import History
from .text import declared_drops, read_text

SETTING = "dualwrite_alembic"
VERSION_TABLE = "alembic_version"

# Made before the first step, as Alembic makes it, so a step's up and down compare equal
# schemas (Alembic writes the rows itself).
ALEMBIC = Bookkeeping(
    tool="alembic",
    table=VERSION_TABLE,
    create={"postgres": (f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version_num "
                         "VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc "
                         "PRIMARY KEY (version_num))",)},
    applied=(),
    reverted=(),
    params=lambda migration, previous: {},
    always=True,
)


class AlembicReader(Reader):
    """Claims no file: an Alembic history is named by its own setting. Met in a
    `dualwrite_migrations` folder, it says which setting to use instead."""

    name = "alembic"
    label = "an Alembic history (env.py and versions/)"
    example = ""  # claims no file: not among "expected files like ..."
    bookkeeping = ALEMBIC

    def read_folder(self, root: Path) -> History | None:
        if (root / "env.py").is_file() and (root / "versions").is_dir():
            raise MigrationError(
                f"{root}: is an Alembic history (env.py and versions/); set {SETTING} to "
                f"it (or to its alembic.ini) instead of dualwrite_migrations")
        return None

    def claim(self, path: Path) -> None:
        return None


def _import_alembic() -> Any:
    try:
        import alembic  # noqa: F401
        from alembic.config import Config
    except ImportError:
        raise MigrationError(
            f"{SETTING} is set but Alembic is not installed; "
            f"pip install 'pytest-dualwrite[alembic]'") from None
    return Config


def alembic_config(path: Path) -> Any:
    """Alembic's `Config` for an ini file, or for a folder with `env.py` and `versions/`."""
    Config = _import_alembic()
    if path.is_dir() and not (path / "env.py").is_file() and (path / "alembic.ini").is_file():
        path = path / "alembic.ini"
    if path.is_dir():
        if not (path / "env.py").is_file():
            raise MigrationError(f"{path}: holds no env.py (and no alembic.ini); point "
                                 f"{SETTING} at your alembic.ini or at the folder with env.py")
        config = Config()
        location = path
    else:
        if not path.is_file():
            raise MigrationError(f"{path}: does not exist; point {SETTING} at your "
                                 f"alembic.ini or at the folder holding env.py and versions/")
        try:
            config = Config(str(path))
            written = config.get_main_option("script_location")
        except Exception as exc:
            raise MigrationError(f"{path}: cannot be read as an alembic.ini: "
                                 f"{_one_line(exc)}") from None
        if not written:
            raise MigrationError(f"{path}: has no script_location in its [alembic] section")
        location = Path(written)
        if not location.is_absolute() and (path.parent / location).is_dir():
            location = path.parent / location
        if not location.is_dir():
            raise MigrationError(f"{path}: script_location {written} is not a folder")
    config.set_main_option("script_location", str(location).replace("%", "%%"))
    if not (location / "env.py").is_file():
        raise MigrationError(f"{location}: holds no env.py; Alembic needs one to run")
    return config


def alembic_location(path: Path) -> Path:
    """The folder holding env.py and versions/: where `migrations.lock` is kept."""
    return Path(alembic_config(path).get_main_option("script_location"))


def read_alembic(path: Path, *, lock: bool = True, base: str | None = None) -> History:
    """The revisions, base first, each a step applied through Alembic; or one line.

    A `migrations.lock` beside env.py is checked as for SQL files (`lock=False` skips it,
    for the command that rewrites it). `base` ("module:Base") is the schema the first
    revision starts from (`dualwrite_alembic_base`, see alembic_base.py)."""
    config = alembic_config(path)
    metadata = None
    if base:
        from .alembic_base import base_metadata

        metadata = base_metadata(base)
    from alembic.script import ScriptDirectory

    location = Path(config.get_main_option("script_location"))
    try:
        script = ScriptDirectory.from_config(config)
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                script.revision_map.heads  # noqa: B018  # imports every revision, once
            except KeyError:  # a broken link, which Alembic has just warned about
                _refuse_broken_links(script, [str(w.message) for w in seen])
                raise
        _refuse_broken_links(script, [str(w.message) for w in seen])
        revisions = list(reversed(list(script.walk_revisions("base", "heads"))))
        heads = script.get_heads()
    except MigrationError:
        raise
    except Exception as exc:
        raise MigrationError(where(exc, location, "cannot be read")) from None
    if len(heads) > 1:
        named = ", ".join(f"{h} ({Path(script.get_revision(h).path).name})"
                          for h in sorted(heads))
        raise MigrationError(
            f"{location / 'versions'}: several heads: {named}; merge them "
            f"(alembic merge heads) so the history has one end")
    steps = []
    for position, revision in enumerate(revisions, 1):
        file = Path(revision.path)
        up = _apply(config, script, revision, True, location)
        down = _apply(config, script, revision, False, location)
        if metadata is not None and position == 1:
            from .alembic_base import with_base

            up, down = with_base(metadata, up, down)
        step = PythonStep(file, up, down)
        drops = declared_drops(SqlSource(file, read_text(file)), "#")
        steps.append(Migration((position, 0), revision.revision, revision.doc or "",
                               "alembic", step, step, declared_drops=drops, name=file.name))
    from ..lockfile import LOCK_NAME, check_lock  # here: lockfile imports the readers
    from .alembic_offline import AlembicOffline

    if lock and (location / LOCK_NAME).is_file():
        check_lock(location, steps)

    return History(steps, convention="alembic",
                   static_source=AlembicOffline(path, script, revisions, location, metadata))


_MISSING = re.compile(r"Revision (\S+) referenced from .*?-> (\w+)")


def _refuse_broken_links(script: Any, messages: list[str]) -> None:
    """Alembic only warns about a down_revision that names no revision; that is one line."""
    for message in messages:
        found = _MISSING.search(message)
        if found is None:
            continue
        missing, child = found.groups()
        path = _file_of(script, child)
        raise MigrationError(
            f"{path}: down_revision {missing!r} names no revision in "
            f"{path.parent}; fix it, or restore the missing revision")


def _file_of(script: Any, revision: str) -> Path:
    """The file that declares `revision`, read from the files (the map is broken)."""
    versions = Path(script.versions)
    pattern = re.compile(rf"""^revision\s*(?::[^=]*)?=\s*['"]{re.escape(revision)}['"]""", re.M)
    for path in sorted(versions.rglob("*.py")):
        if pattern.search(read_text(path)):
            return path
    return versions


def _apply(config: Any, script: Any, revision: Any, up: bool,
           location: Path) -> Callable[[Any], None]:
    """Run the user's env.py on `conn`, migrating exactly this one revision."""

    def run(conn: Any) -> None:
        from alembic.runtime.environment import EnvironmentContext
        from alembic.runtime.migration import MigrationStep

        step = (MigrationStep.upgrade_from_script(script.revision_map, revision) if up
                else MigrationStep.downgrade_from_script(script.revision_map, revision))
        config.attributes["connection"] = conn
        try:
            with EnvironmentContext(config, script, fn=lambda rev, context: [step]):
                script.run_env()
        except Exception as exc:
            action = "upgrade" if up else "downgrade"
            raise MigrationError(where(exc, location, f"{action} of {revision.revision} "
                                                     f"failed")) from None
        finally:
            config.attributes.pop("connection", None)

    return run


def where(exc: BaseException, location: Path, what: str) -> str:
    """One line naming the innermost line of the user's files (env.py or a revision)."""
    root = location.resolve()
    place = str(location)
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            inside = Path(frame.filename).resolve().is_relative_to(root)
        except (OSError, ValueError):
            inside = False
        if inside:
            place = f"{frame.filename}:{frame.lineno}"
    if isinstance(exc, SyntaxError) and exc.filename:  # the file that does not parse
        place = f"{exc.filename}:{exc.lineno}"
        return f"{place}: {what}: SyntaxError: {exc.msg}"
    return f"{place}: {what}: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0]}" if lines else type(orig).__name__
