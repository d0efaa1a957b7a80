"""backends/role.py alone: what the header says for each kind of URL role."""

from __future__ import annotations

from pytest_dualwrite.backends.role import Privileges, describe, planned, quote, why_unrestricted

SUPER = Privileges("postgres", superuser=True, createrole=True)
MAKER = Privileges("ci", superuser=False, createrole=True)
PLAIN = Privileges("ci", superuser=False, createrole=False)


def test_who_can_restrict() -> None:
    assert SUPER.can_restrict and MAKER.can_restrict and not PLAIN.can_restrict


def test_the_header_line_for_each_role() -> None:
    assert planned(MAKER, True) == (
        "migrations and your code will run as a role of this run that owns only its "
        "databases (ci may CREATE ROLE)")
    assert planned(PLAIN, True) == (
        "WARNING: migrations and your code run as ci (ci may not CREATE ROLE; grant it "
        "CREATEROLE to run them as a narrower role): they can do whatever ci can")
    assert planned(SUPER, False) == (
        "WARNING: migrations and your code run as superuser postgres (dualwrite_restrict_role "
        "= false): it can reach every database and run programs on the server")
    assert describe("dualwrite_role_x", SUPER, "") == (
        "migrations and your code run as dualwrite_role_x, a role of this run that owns only "
        "its databases")
    assert why_unrestricted(SUPER, False) == "dualwrite_restrict_role = false"


def test_names_are_quoted() -> None:
    assert quote('a"b') == '"a""b"'
