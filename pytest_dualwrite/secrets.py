"""One place that hides passwords, used by everything the plugin writes.

A Postgres URL reaches the plugin in any form libpq accepts, and error messages, reports
and headers quote it back. So every text the plugin shows goes through `mask()`, which hides:

- a URL's userinfo password, even one holding `@` or `:` (`postgresql://u:S3cr@t3@h/db`):
  everything between the user's `:` and the last `@` of the URL is hidden;
- password query parameters (`?password=...`, `&sslpassword=...`);
- libpq keyword/value passwords (`host=h password=S3cr3t`, `password='a b'`);
- and, literally, every password the plugin has seen (`remember()`: the URL's, PGPASSWORD),
  in raw and percent-encoded form, wherever it shows up (a driver's message, a repr).

Plain Python, no pytest: the report, the errors and the drift command use it too.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote

HIDDEN = "***"

# `scheme://` up to the end of the URL (whitespace or a quote closes it).
_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]*")
# In a URL: `?password=`, `&sslpassword=` ... up to the next parameter.
_QUERY_PASSWORD = re.compile(r"(?i)([?&;][a-z_]*password=)[^&#]*")
# libpq keyword/value: `password=...` not inside a URL query; a quoted value may hold spaces.
_KEYWORD_PASSWORD = re.compile(
    r"(?i)(?<![?&;\w])([a-z_]*password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s'\"]+)")
# Short secrets would mask ordinary words ("pw" in every "pwd"): literal masking from 4 on;
# shorter ones are still hidden wherever they sit in a URL or keyword string.
_MIN_LITERAL = 4
_known: set[str] = set()


def remember(password: str | None) -> None:
    """Hide this password wherever it appears from now on (raw and URL-encoded)."""
    if not password or len(password) < _MIN_LITERAL:
        return
    for form in (password, quote(password, safe=""), quote(password), unquote(password)):
        if len(form) >= _MIN_LITERAL:
            _known.add(form)


def remember_text(text: str | None) -> None:
    """Remember every password written in `text` (a URL or a keyword/value string, as the
    user gave it), and the pieces an `@` or `:` in it splits it into: a parser that stops
    at the first `@` quotes the rest back as a host name."""
    if not text:
        return
    found: list[str] = []
    for url in _URL.findall(text):
        userinfo, at, _ = url.partition("://")[2].rpartition("@")
        if at and ":" in userinfo:
            found.append(userinfo.partition(":")[2])
        found += [m.group(0).partition("=")[2] for m in _QUERY_PASSWORD.finditer(url)]
    found += [m.group(2).strip("'") for m in _KEYWORD_PASSWORD.finditer(text)]
    for password in found:
        remember(password)
        for piece in re.split(r"[@:]", password):
            remember(piece)


def remember_environment(env: dict[str, str] | None = None) -> None:
    """libpq reads PGPASSWORD itself; it is a password all the same."""
    remember((env if env is not None else os.environ).get("PGPASSWORD"))


def _mask_url(match: re.Match[str]) -> str:
    url = match.group(0)
    scheme, _, rest = url.partition("://")
    # The userinfo ends at the last `@` (libpq and SQLAlchemy disagree on a bare `@` in a
    # password; hiding up to the last one is right for both).
    userinfo, at, hostpart = rest.rpartition("@")
    if at:
        user, colon, _password = userinfo.partition(":")
        rest = f"{user}:{HIDDEN}@{hostpart}" if colon else f"{userinfo}@{hostpart}"
    return f"{scheme}://{_QUERY_PASSWORD.sub(lambda m: m.group(1) + HIDDEN, rest)}"


def mask(text: str) -> str:
    """`text` with every password in it replaced by `***`."""
    if not text:
        return text
    for secret in sorted(_known, key=len, reverse=True):
        text = text.replace(secret, HIDDEN)
    text = _URL.sub(_mask_url, text)
    return _KEYWORD_PASSWORD.sub(lambda m: m.group(1) + HIDDEN, text)


def mask_all(value: Any) -> Any:
    """Every string inside a JSON-like value masked (the report document)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {mask_all(k): mask_all(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_all(v) for v in value]
    return value


def mask_lines(lines: Iterable[str]) -> list[str]:
    return [mask(line) for line in lines]


def forget_all() -> None:
    """For tests: drop the remembered passwords."""
    _known.clear()
