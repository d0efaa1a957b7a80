"""What a run proved, for people (the terminal section) and for CI (a JSON document).

Plain Python: the plugin feeds it one `ItemResult` per item of ours and asks for lines or
a document. The JSON shape is documented by `REPORT_SCHEMA` (JSON Schema), which the
tests validate against, and in the README.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from .secrets import mask_all

FIGURES = ("examples", "rows_generated", "operations", "backfill_batches",
           "records_verified", "mismatches")


@dataclass
class ItemResult:
    nodeid: str
    group: str  # the spec's name, or the migrations folder
    check: str
    backend: str
    outcome: str  # passed | failed | skipped | error
    duration: float
    figures: dict[str, int] = field(default_factory=dict)
    message: str | None = None  # the failure's summary, the skip reason or a pass's notes
    counterexample: dict[str, Any] | None = None  # {"operations": [...], "differences": [...]}
    # Every distinct failure's, when hypothesis found several (the first is `counterexample`)
    counterexamples: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # statements skipped or run unread


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


@dataclass
class Report:
    results: list[ItemResult] = field(default_factory=list)
    backends: dict[str, str] = field(default_factory=dict)  # name -> description

    servers: dict[str, str] = field(default_factory=dict)  # backend -> server version seen

    def add(self, result: ItemResult) -> None:
        self.results.append(result)

    def add_plain(self, data: dict[str, Any]) -> None:
        """A result as `plain()` made it: how results cross from xdist workers."""
        if data.get("server"):
            self.servers[data["result"]["backend"]] = data["server"]
        self.add(ItemResult(**data["result"]))

    # --- terminal -----------------------------------------------------------------------
    def lines(self) -> list[str]:
        if not self.results:
            return []
        out = []
        header = (f"{'spec / migrations':<34} {'check':<32} {'backend':<9} {'result':<7} "
                  f"{'rows':>6} {'ops':>6} {'batches':>7} {'verified':>8} {'diff':>4} "
                  f"{'time':>7}")
        out.append(header)
        for r in self.results:
            f = r.figures
            out.append(
                f"{r.group[:34]:<34} {r.check[:32]:<32} {r.backend:<9} {r.outcome:<7} "
                f"{f.get('rows_generated', 0):>6} {f.get('operations', 0):>6} "
                f"{f.get('backfill_batches', 0):>7} {f.get('records_verified', 0):>8} "
                f"{f.get('mismatches', 0):>4} {r.duration:>6.2f}s")
            if r.outcome == "passed" and r.message:
                out.extend(f"  note: {note}" for note in r.message.splitlines())
        out += self.note_lines()
        totals = self.totals()
        out.append(f"{totals['passed']} passed, {totals['failed']} failed, "
                   f"{totals['skipped']} skipped; {totals['records_verified']} records "
                   f"verified, {totals['mismatches']} mismatches")
        return out

    def note_lines(self) -> list[str]:
        """Each item group's notes once per backend (every item of the group carries them)."""
        out: list[str] = []
        seen: set[tuple[str, str, str]] = set()
        for r in self.results:
            fresh = [n for n in r.notes if (r.group, r.backend, n) not in seen]
            if fresh:
                out.append(f"{r.group} [{r.backend}]:")
                out += [f"  {n}" for n in fresh]
                seen.update((r.group, r.backend, n) for n in fresh)
        return out

    def totals(self) -> dict[str, int]:
        t = {k: 0 for k in ("passed", "failed", "skipped", *FIGURES)}
        for r in self.results:
            key = "failed" if r.outcome in ("failed", "error") else r.outcome
            t[key] = t.get(key, 0) + 1
            for name in FIGURES:
                t[name] += r.figures.get(name, 0)
        return t

    # --- JSON ---------------------------------------------------------------------------
    def document(self, server_versions: dict[str, str] | None = None) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "created_at": datetime.now(timezone.utc).isoformat(),
            "versions": {
                "pytest_dualwrite": _version("pytest-dualwrite"),
                "python": platform.python_version(),
                "sqlalchemy": _version("SQLAlchemy"),
                "sqlglot": _version("sqlglot"),
                "hypothesis": _version("hypothesis"),
                "pytest": _version("pytest"),
                "servers": {**self.servers, **(server_versions or {})},
            },
            "backends": dict(self.backends),
            "totals": self.totals(),
            "items": [asdict(r) for r in self.results],
        }

    def write(self, path: Path, server_versions: dict[str, str] | None = None) -> None:
        """Write the document (passwords masked); the folder must exist (checked at start)."""
        document = mask_all(self.document(server_versions))
        path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def report_path_problem(path: Path) -> str | None:
    """Why the report cannot be written at `path`, checked before the run spends its time;
    folders are not created (a typo would scatter reports)."""
    if path.is_dir():
        example = str(path / "dualwrite.json")
        return f"{str(path)!r} is a folder; give a file name (e.g. {example!r})"
    if not path.parent.is_dir():
        return f"the folder {str(path.parent)!r} does not exist; create it or pick another path"
    return None


def plain(result: ItemResult, server: str | None) -> dict[str, Any]:
    """A result in JSON types (as the report file will hold it), so pytest-xdist can carry
    it from a worker to the controller on the item's report; passwords masked."""
    return mask_all(json.loads(json.dumps({"result": asdict(result), "server": server},
                                          default=str)))


_FIGURES_SCHEMA = {"type": "object",
                   "properties": {k: {"type": "integer", "minimum": 0} for k in FIGURES},
                   "additionalProperties": {"type": "integer"}}

_DIFFERENCE = {
    "type": "object",
    "required": ["kind", "table", "key"],
    "properties": {
        "kind": {"enum": ["changed", "missing", "extra", "duplicate", "read", "unreached",
                          "error", "other"]},
        "table": {"type": "string"},
        "key": {},
        "field": {"type": ["string", "null"]},
        "old": {},
        "new": {},
        # cutover_keeps_every_record: the model's value, what read returned, and the
        # phase and operation that last set the key
        "model": {},
        "read": {},
        "phase": {"type": "string"},
        "operation": {"type": "string"},
        "note": {"type": "string"},
    },
}

_COUNTEREXAMPLE = {
    "type": "object",
    "required": ["operations", "differences"],
    "properties": {
        "operations": {"type": "array", "items": {"type": "string"}},
        "differences": {"type": "array", "items": _DIFFERENCE},
    },
}

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "pytest-dualwrite report",
    "type": "object",
    "required": ["schema_version", "created_at", "versions", "backends", "totals", "items"],
    "properties": {
        "schema_version": {"const": 1},
        "created_at": {"type": "string"},
        "versions": {
            "type": "object",
            "required": ["pytest_dualwrite", "sqlalchemy", "sqlglot", "hypothesis", "servers"],
            "properties": {"servers": {"type": "object",
                                       "additionalProperties": {"type": "string"}}},
        },
        "backends": {"type": "object", "additionalProperties": {"type": "string"}},
        "totals": {"type": "object", "additionalProperties": {"type": "integer"}},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["nodeid", "group", "check", "backend", "outcome", "duration",
                             "figures"],
                "properties": {
                    "nodeid": {"type": "string"},
                    "group": {"type": "string"},
                    "check": {"type": "string"},
                    "backend": {"type": "string"},
                    "outcome": {"enum": ["passed", "failed", "skipped", "error"]},
                    "duration": {"type": "number", "minimum": 0},
                    "figures": _FIGURES_SCHEMA,
                    "message": {"type": ["string", "null"]},
                    "notes": {"type": "array", "items": {"type": "string"}},
                    "counterexample": {"anyOf": [_COUNTEREXAMPLE, {"type": "null"}]},
                    "counterexamples": {"type": "array", "items": _COUNTEREXAMPLE},
                },
            },
        },
    },
}
