"""The one interface every migration convention implements, and the values it speaks in.

A reader answers, for one tool's way of writing a history: does this file (or folder)
belong to me and what version is it (`claim`); what are its up and down parts and its
declarations (`migration`); are gaps in the numbering normal (`allows_gaps`); and which
table does the tool keep its own bookkeeping in (`bookkeeping`). Discovery asks the
registry's readers in turn and never looks at a file name itself.

A step need not be SQL text: `migration` may return a `PythonStep` whose callables apply
the step through a tool's own API (as an Alembic reader would), and a reader that takes a
whole folder as one history (an `alembic.ini`, an `env.py` and `versions/`) overrides
`read_folder` instead of `claim`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import MigrationError
from ..model import Migration, SqlSource
from .text import declared_drops, empty_error, is_blank, optional, read_text

if TYPE_CHECKING:
    from .history import History

# A leading version of 12+ digits (YYYYMMDDhhmm...) is a timestamp: gaps are normal there.
TIMESTAMP_MIN = 10**11


@dataclass(frozen=True)
class Claim:
    """What a reader says about one file, from its name (and, for tools told apart by
    markers inside the file, its text), before the migration is built.

    `role` is "up", "down", or "code": a file the tool would run that the plugin cannot
    (a Flyway `.java` migration), which only holds its version and earns a note.
    """

    path: Path
    reader: Reader
    role: str
    version: tuple[int, ...]
    version_text: str
    description: str
    dialect: str | None = None  # a per-dialect stand-in (NNN_x.sqlite.sql)
    repeatable: bool = False  # Flyway R__ files
    text: str | None = field(default=None, compare=False, repr=False)  # when claim read it

    @property
    def key(self) -> tuple[bool, tuple[int, ...], str]:
        """Claims with the same key belong to one migration."""
        return (self.repeatable, self.version, self.description if self.repeatable else "")

    @property
    def stand_in_key(self) -> str:
        assert self.dialect is not None
        return self.dialect if self.role == "up" else f"{self.dialect}:down"

    def read(self) -> str:
        return self.text if self.text is not None else read_text(self.path)


@dataclass
class Group:
    """The claims of one version: its up, its down and its per-dialect stand-ins."""

    up: Claim | None = None
    down: Claim | None = None
    stand_ins: dict[str, Claim] = field(default_factory=dict)


@dataclass(frozen=True)
class Bookkeeping:
    """A migration tool's own table, made the way the tool makes it.

    `create` holds the tool's DDL per target ("postgres", "sqlite"), run before the first
    migration in the database's current schema, where the tool puts it. `applied` and
    `reverted` are the statements the tool runs after a step, with named parameters from
    `params(migration, previous)` (`previous` is the step before it, None for the first).
    """

    tool: str
    table: str
    create: Mapping[str, tuple[str, ...]]
    applied: tuple[str, ...]
    reverted: tuple[str, ...]
    params: Callable[[Migration, Migration | None], dict[str, Any]]
    always: bool = False  # the tool writes this table on every run (Alembic), named or not

    def ddl(self, target: str) -> tuple[str, ...]:
        return self.create.get(target) or self.create["postgres"]


class Reader:
    """One migration convention. Subclasses set the class attributes and `claim`."""

    name: ClassVar[str]  # the Migration.convention it produces, and its registry key
    label: ClassVar[str]  # how a "mixes conventions" message names it
    example: ClassVar[str]  # a file name it reads, for "fits no migration convention"
    allows_gaps: ClassVar[bool] = True  # the tool's own rule
    joins_python: ClassVar[bool] = True  # NNN_x.py data steps may share its numbering
    version_prefix: ClassVar[str] = ""  # how a missing version is written (`V3` for Flyway)
    bookkeeping: ClassVar[Bookkeeping | None] = None

    def read_folder(self, root: Path) -> History | None:
        """The whole folder as one history, for a reader that owns folders; None if not."""
        return None

    def claim(self, path: Path) -> Sequence[Claim] | None:
        """This entry's claims if it belongs to this convention, else None."""
        raise NotImplementedError

    def convention(self, up: Claim) -> str:
        return self.name

    def sections(self, claim: Claim, text: str) -> tuple[SqlSource, SqlSource | None, str]:
        """(up, down, preamble) of a file holding both directions; the whole file is up."""
        return SqlSource(claim.path, text), None, ""

    def migration(self, group: Group) -> Migration:
        """Read a version's files into one `Migration` (SQL text, one file a direction)."""
        up_claim = group.up
        assert up_claim is not None
        text = up_claim.read()
        up, down, preamble = self.sections(up_claim, text)
        if group.down is not None:
            down = optional(SqlSource(group.down.path, group.down.read()))
        if is_blank(up.text):
            raise empty_error(up)
        stand_ins: dict[str, SqlSource] = {}
        for key, claim in sorted(group.stand_ins.items()):
            stand_ins.update(self.stand_in(key, claim))
        drops = declared_drops(SqlSource(up.path, preamble)) | declared_drops(up)
        return Migration(
            up_claim.version, up_claim.version_text, up_claim.description,
            self.convention(up_claim), up, down, stand_ins, up_claim.repeatable, drops,
        )

    def stand_in(self, key: str, claim: Claim) -> dict[str, SqlSource]:
        """A per-dialect file: `sqlite`, or `sqlite` and `sqlite:down` from one file."""
        text = claim.read()
        if key.endswith(":down"):
            down = optional(SqlSource(claim.path, text))
            return {key: down} if down is not None else {}
        up, down, _ = self.sections(claim, text)
        if is_blank(up.text):
            raise empty_error(up)
        return {key: up, f"{key}:down": down} if down is not None else {key: up}

    def orphan(self, claim: Claim) -> str:
        """What a down or stand-in is, when the version has no up file."""
        if claim.dialect is None and claim.role == "down":
            return "a down migration without its up migration"
        return f"a per-dialect stand-in without a migration numbered {claim.version_text}"

    def missing(self, claim: Claim, low: int, high: int) -> str:
        """`003` or `003 to 005`, written like the file after the gap."""
        width = 1 if self.version_prefix else len(claim.version_text)
        low_text = f"{self.version_prefix}{low:0{width}d}"
        if low == high:
            return low_text
        return f"{low_text} to {self.version_prefix}{high:0{width}d}"

    def code_note(self, claim: Claim) -> str:
        """The one line said about a file the tool would run that the plugin cannot."""
        return (f"{claim.path}: a migration {self.name} runs as code, which the plugin "
                f"cannot run: version {claim.version_text} is left out of every check")


def refuse(path: Path, what: str) -> MigrationError:
    return MigrationError(f"{path}: {what}")
