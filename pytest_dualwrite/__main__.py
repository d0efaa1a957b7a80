"""`python -m pytest_dualwrite`: commands that need no test run.

  lock FOLDER     write FOLDER/migrations.lock (a checksum per migration file), so an edit
                  to an already-applied migration becomes an error in later runs. For an
                  Alembic history give its alembic.ini (or the folder with env.py): the
                  lock is written beside env.py.
  drift           print the models-vs-migrations table; exit 1 on drift (see --help).
  verify          compare a spec's old and new on a real database, read-only, in key
                  ranges; exit 0 equal, 1 different, 2 could not run (see verify --help).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import DualWriteError


def _lock(args: argparse.Namespace) -> int:
    from .migrations.discovery import discover, write_lock

    folder = Path(args.folder)
    if _is_alembic(folder):  # the lock goes beside env.py, naming versions/<file>
        from .migrations.readers.alembic import alembic_location, read_alembic

        migrations = read_alembic(folder, lock=False)
        folder = alembic_location(folder)
    else:
        migrations = discover(folder, allow_gaps=args.allow_gaps or None, lock=False)
    path = write_lock(folder, migrations)
    print(f"wrote {path} ({len(migrations)} migrations)")
    return 0


def _is_alembic(path: Path) -> bool:
    """An alembic.ini, or a folder holding env.py and versions/ (or an alembic.ini)."""
    if path.is_file():
        return path.suffix == ".ini"
    return ((path / "env.py").is_file() and (path / "versions").is_dir()) or (
        path / "alembic.ini").is_file()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pytest_dualwrite",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    lock = commands.add_parser("lock", help="write migrations.lock for a migrations folder")
    lock.add_argument("folder")
    lock.add_argument("--allow-gaps", action="store_true")
    lock.set_defaults(run=_lock)
    from .drift_cli import add_drift_command

    add_drift_command(commands)
    from .live.cli import add_verify_command

    add_verify_command(commands)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except DualWriteError as exc:
        print(f"pytest-dualwrite: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
