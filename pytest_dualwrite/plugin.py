"""pytest hooks for pytest-dualwrite, and nothing else.

Everything the hooks do is delegated to plain modules (settings, session, backends,
migrations, dualwrite); this file only wires them into pytest's life cycle.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

import pytest

from .errors import ConfigError
from .fixtures import SESSION_KEY, dualwrite_backend, dualwrite_db, get_session
from .session import Session
from .settings import SETTINGS, resolve

__all__ = ["dualwrite_backend", "dualwrite_db"]


def _cli_type(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Turn a setting's parser into an argparse type with a user-worded error."""

    def convert(value: str) -> Any:
        try:
            return parse(value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("dualwrite", "pytest-dualwrite: migrations that lose no data")
    group.addoption("--dualwrite", action="store_true", default=False, dest="dualwrite",
                    help="run the dual-write, backfill and migration checks")
    for setting in SETTINGS:
        if setting.cli is None:
            continue
        if setting.parse.__name__ == "parse_bool":
            group.addoption(setting.cli, action="store_true", default=None, dest=setting.dest,
                            help=setting.help)
        else:
            group.addoption(setting.cli, default=None, dest=setting.dest, help=setting.help,
                            metavar=setting.name.upper(), type=_cli_type(setting.parse))
    for setting in SETTINGS:
        if setting.ini is not None:
            parser.addini(setting.ini, setting.help, type="string", default="")


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("dualwrite"):
        return
    cli = {s.dest: config.getoption(s.dest) for s in SETTINGS if s.cli is not None}
    ini = {s.ini: config.getini(s.ini) for s in SETTINGS if s.ini is not None}
    try:
        settings = resolve(cli, os.environ, ini)
    except ConfigError as exc:
        raise pytest.UsageError(f"pytest-dualwrite: {exc}") from None
    config.stash[SESSION_KEY] = Session(settings, rootdir=config.rootpath)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    session = get_session(config)
    if session is None:
        return None
    settings = session.settings
    lines = [f"dualwrite: backends {', '.join(session.backend_names)} "
             f"(from {settings.source('backends')})"]
    for name in session.backend_names:
        lines.append(f"  {name}: {session.describe(name)}")
    given = [f"{s.name} (from {settings.source(s.name)})" for s in SETTINGS
             if settings.source(s.name) != "default" and s.name != "backends"]
    if given:
        lines.append("  settings: " + ", ".join(given))
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "dualwrite_backend" not in metafunc.fixturenames:
        return
    session = get_session(metafunc.config)
    if session is None:
        return
    names = list(session.backend_names)
    metafunc.parametrize("dualwrite_backend", names, ids=names, indirect=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    session = get_session(config)
    if session is None:
        return
    problems = session.close()
    del config.stash[SESSION_KEY]
    if problems:
        print("pytest-dualwrite: could not clean up: " + "; ".join(problems))
