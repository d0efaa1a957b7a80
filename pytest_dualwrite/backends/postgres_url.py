"""Reading a user's Postgres URL, and printing one: the two places a password could leak.

Its own module because every way to name a server (a setting, the environment, the drift
CLI, `--url`) comes through here, apart from the backend that then uses the URL.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ..errors import ConfigError
from ..secrets import mask, remember, remember_text


def parse_url(raw: str, where: str = "postgres url") -> URL:
    """Read a user's URL, defaulting the driver to psycopg 3; errors name the setting."""
    remember_text(raw)
    try:
        url = sa.make_url(raw.strip())
    except Exception:
        # mask knows URLs and `password=`; a scheme-less `user:pw@host`: hide all before `@`.
        text = mask(raw) if "://" in raw else mask(re.sub(r"^[^@]*@", "***@", raw))
        raise ConfigError(f"{where}: {text!r} is not a database URL "
                          "(expected postgresql://user:password@host:5432/dbname)") from None
    remember(url.password if isinstance(url.password, str) else None)
    for key, value in url.query.items():
        if "password" in key.lower():
            for one in (value,) if isinstance(value, str) else value:
                remember(one)
    backend = url.get_backend_name()
    if backend in ("postgres", "postgresql"):
        driver = url.get_driver_name() if "+" in url.drivername else "psycopg"
        url = url.set(drivername=f"postgresql+{driver}")
    else:
        raise ConfigError(f"{where}: {mask(raw)!r} is not a Postgres URL "
                          f"(scheme {url.drivername!r}; expected postgresql://...)")
    return url


def shown(url: URL) -> str:
    """The URL as the plugin prints it: no password, in the userinfo or the query."""
    return mask(url.render_as_string(hide_password=True))
