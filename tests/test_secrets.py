"""No password is ever printed: every form libpq accepts, everywhere the plugin writes.

Unit tests of `pytest_dualwrite.secrets.mask`, then runs as users run them with a planted
password in each URL form, grepping stdout, stderr, the JSON report and the JUnit file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from pytest_dualwrite import secrets
from pytest_dualwrite.backends.postgres import parse_url, shown
from pytest_dualwrite.errors import ConfigError

from .conftest import copy_example, need_postgres


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    secrets.forget_all()
    yield
    secrets.forget_all()


@pytest.mark.parametrize(("text", "shown_as"), [
    ("postgresql://u:S3cr3t@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql://u:S3cr@t3Pw@h/db", "postgresql://u:***@h/db"),
    ("postgresql://u:pw:with:colons@h/db", "postgresql://u:***@h/db"),
    ("postgresql+psycopg://u@h:1/db?password=S3cr3t", "postgresql+psycopg://u@h:1/db?password=***"),
    ("postgresql://u@h/db?sslmode=require&password=S3cr3t&x=1",
     "postgresql://u@h/db?sslmode=require&password=***&x=1"),
    ("'host=h user=u password=S3cr3t dbname=d' is not a database URL",
     "'host=h user=u password=*** dbname=d' is not a database URL"),
    ("host=h password = 'S3 cr3t' dbname=d", "host=h password = *** dbname=d"),
    ("password authentication failed for user u", "password authentication failed for user u"),
    ("postgresql://u@h/db", "postgresql://u@h/db"),
])
def test_mask_hides_every_form(text: str, shown_as: str) -> None:
    assert secrets.mask(text) == shown_as


def test_a_remembered_password_is_hidden_wherever_it_appears() -> None:
    secrets.remember_text("postgresql://u:S3cr@t3Pw@h/db")
    secrets.remember_environment({"PGPASSWORD": "EnvPassw0rd"})
    # a driver that stopped at the first `@` quotes the rest as a host name
    out = secrets.mask("could not resolve host 't3Pw@h': S3cr@t3Pw, EnvPassw0rd, S3cr%40t3Pw")
    assert "t3Pw" not in out and "S3cr" not in out and "EnvPassw0rd" not in out, out
    assert secrets.mask_all({"a": ["x S3cr@t3Pw"], "b": 1}) == {"a": ["x ***"], "b": 1}


def test_shown_url_hides_the_query_password_too() -> None:
    url = parse_url("postgresql://u:One1Two2@h/db?password=S3cr3t&sslmode=disable")
    assert "One1Two2" not in shown(url) and "S3cr3t" not in shown(url)
    assert shown(url).startswith("postgresql+psycopg://u:***@h/db?")


def test_a_keyword_value_string_is_refused_without_its_password() -> None:
    with pytest.raises(ConfigError) as info:
        parse_url("host=h user=u password=S3cr3t dbname=d", "DUALWRITE_POSTGRES_URL")
    assert "S3cr3t" not in str(info.value)
    assert str(info.value).startswith("DUALWRITE_POSTGRES_URL: 'host=h user=u password=***")


FAILING_TEST = """
import os

def test_users_own_failure_quotes_the_url(dualwrite_db):
    assert False, "connected with " + os.environ["DUALWRITE_POSTGRES_URL"]
"""


def _forms(url: sa.URL, password: str, with_at: str) -> dict[str, str]:
    host, port, user, db = url.host, url.port or 5432, url.username, url.database
    return {
        "userinfo": f"postgresql://{user}:{password}@{host}:{port}/{db}",
        "userinfo_with_at": f"postgresql://{user}:{with_at}@{host}:{port}/{db}",
        "query": f"postgresql://{user}@{host}:{port}/{db}?password={password}",
        "keyword": f"host={host} port={port} user={user} password={password} dbname={db}",
    }


@pytest.mark.parametrize("form", ["userinfo", "userinfo_with_at", "query", "keyword"])
def test_a_planted_password_appears_in_no_output_report_or_junit_file(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, form: str) -> None:
    """Header, failure lines, usage errors, warnings, JSON report, JUnit XML: none holds
    the password, nor a piece of it, in any of the four forms."""
    base = sa.make_url(need_postgres())
    password, with_at = "S3cr3tPlanted", "S3cr@t3Pw"
    url = _forms(base, password, with_at)[form]
    copy_example(pytester, "mig_lossless")
    pytester.makepyfile(test_user=FAILING_TEST)
    monkeypatch.setenv("DUALWRITE_POSTGRES_URL", url)
    monkeypatch.setenv("PGPASSWORD", "EnvPassw0rdX")
    result = pytester.runpytest_subprocess(
        "--dualwrite", "--dualwrite-backend=postgres", "-p", "no:cacheprovider",
        "--dualwrite-report=report.json", "--junitxml=junit.xml", "-rA",
        "-k", "not each_step_preserves_rows")
    outputs = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for name in ("report.json", "junit.xml"):
        path = Path(pytester.path, name)
        if path.exists():
            outputs[name] = path.read_text()
    planted = [password, with_at, "t3Pw", "S3cr@", "EnvPassw0rdX"]
    for where, text in outputs.items():
        for secret in planted:
            assert secret not in text, f"{secret!r} in {where}:\n{text}"
    if form == "keyword":
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        assert re.search(r"DUALWRITE_POSTGRES_URL: 'host=.* password=\*\*\*", outputs["stderr"])
    elif form == "userinfo_with_at":
        # no parser reads a bare `@` in a password as the user meant: the connection fails
        assert result.ret != 0
        assert "cannot connect to postgresql+psycopg://" in outputs["stdout"]
    else:
        result.assert_outcomes(passed=3, failed=1)
        assert "report.json" in outputs and "junit.xml" in outputs
        assert "connected with postgresql" in outputs["junit.xml"]  # the failure is there
        assert "password" in outputs["stdout"] or ":***@" in outputs["stdout"]
