from __future__ import annotations

import pytest

from pytest_dualwrite.errors import ConfigError
from pytest_dualwrite.settings import parse_backends, resolve


def test_cli_beats_env_beats_ini() -> None:
    settings = resolve(
        {"dualwrite_backend": ("postgres",)},
        {"DUALWRITE_BACKENDS": "sqlite"},
        {"dualwrite_backends": "sqlite postgres"},
    )
    assert settings.backends == ("postgres",)
    assert settings.source("backends") == "cli"

    settings = resolve({}, {"DUALWRITE_BACKENDS": "sqlite"}, {"dualwrite_backends": "postgres"})
    assert settings.backends == ("sqlite",)
    assert settings.source("backends") == "env"

    settings = resolve({}, {}, {"dualwrite_backends": "sqlite postgres"})
    assert settings.backends == ("sqlite", "postgres")
    assert settings.source("backends") == "ini"

    settings = resolve({}, {}, {})
    assert settings.backends == ("sqlite",)
    assert settings.source("backends") == "default"


def test_backend_lists() -> None:
    assert parse_backends("all") == ("sqlite", "postgres")
    assert parse_backends("postgresql, sqlite") == ("postgres", "sqlite")
    assert parse_backends("sqlite,sqlite") == ("sqlite",)
    with pytest.raises(ValueError, match="unknown backend 'oracle'"):
        parse_backends("sqlite,oracle")


def test_bad_value_names_the_setting_where_it_was_given() -> None:
    with pytest.raises(ConfigError, match=r"^DUALWRITE_EXAMPLES: 'many' is not a whole number$"):
        resolve({}, {"DUALWRITE_EXAMPLES": "many"}, {})
    with pytest.raises(ConfigError, match=r"^dualwrite_backends: unknown backend 'mongo'"):
        resolve({}, {}, {"dualwrite_backends": "mongo"})


def test_ini_values_are_parsed() -> None:
    settings = resolve({}, {}, {"dualwrite_examples": "25", "dualwrite_allow_gaps": "true",
                                "dualwrite_drift_ignore": "audit_log\nusers.legacy"})
    assert settings.examples == 25
    assert settings.allow_gaps is True
    assert settings.drift_ignore == ("audit_log", "users.legacy")
