"""The dualwrite summary and the JSON report, as a user's run produces them."""

from __future__ import annotations

import json

import jsonschema
import pytest

from pytest_dualwrite.report import REPORT_SCHEMA, ItemResult, Report

from .conftest import copy_example


@pytest.fixture
def products(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("DUALWRITE_POSTGRES_URL", raising=False)
    return copy_example(pytester, "products")


def test_summary_and_json_report_of_a_failing_spec(products: pytest.Pytester,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DW_BUG", "truncate40")
    result = products.runpytest_subprocess(
        "--dualwrite", "-p", "no:cacheprovider", "-k", "backfill_preserves or upgrade",
        "--dualwrite-report=report.json", "--dualwrite-examples=30")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*= dualwrite =*",
        "spec / migrations*check*backend*result*rows*ops*batches*verified*diff*time",
        "migrations*upgrade_from_empty*sqlite*passed*",
        "products_to_catalog_items*backfill_preserves_every_record*sqlite*failed*",
        "1 passed, 1 failed, 0 skipped;*records verified, 1 mismatches",
        "dualwrite report: *report.json",
    ])
    document = json.loads((products.path / "report.json").read_text())
    jsonschema.validate(document, REPORT_SCHEMA)
    assert document["versions"]["sqlglot"] == "30.30.0"
    assert document["versions"]["servers"]["sqlite"]
    failed = [i for i in document["items"] if i["outcome"] == "failed"]
    assert len(failed) == 1
    item = failed[0]
    assert item["nodeid"].endswith(
        "products_to_catalog_items::backfill_preserves_every_record[sqlite]")
    assert item["figures"]["mismatches"] >= 1 and item["figures"]["rows_generated"] >= 1
    # The counterexample in the report is the one the terminal showed.
    example = item["counterexample"]
    changed = [d for d in example["differences"] if d["kind"] == "changed"]
    assert changed and changed[0]["field"] == "name" and changed[0]["table"] == "catalog_items"
    assert len(changed[0]["old"]) > 40 and changed[0]["new"] == changed[0]["old"][:40]
    out = result.stdout.str()
    for line in example["operations"]:
        assert line in out
    assert item["message"] in out


def test_quiet_run_prints_no_summary(products: pytest.Pytester) -> None:
    result = products.runpytest_subprocess("--dualwrite", "-q", "-p", "no:cacheprovider",
                                           "-k", "upgrade")
    result.assert_outcomes(passed=1)
    assert "= dualwrite =" not in result.stdout.str()


def test_report_schema_rejects_a_bad_document() -> None:
    report = Report()
    report.add(ItemResult("a::b[sqlite]", "a", "b", "sqlite", "passed", 0.1))
    document = report.document()
    jsonschema.validate(document, REPORT_SCHEMA)
    document["items"][0]["outcome"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, REPORT_SCHEMA)


def test_under_xdist_the_controller_reports_every_item(products: pytest.Pytester,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Items run in the workers; the summary and the file come from the controller, with
    every item once (each worker used to write the file, and the last one won)."""
    monkeypatch.setenv("DW_BUG", "truncate40")
    result = products.runpytest_subprocess(
        "--dualwrite", "-p", "no:cacheprovider", "-n", "2", "--dualwrite-examples=10",
        "--dualwrite-report=report.json")
    outcomes = result.parseoutcomes()
    ran = outcomes.get("passed", 0) + outcomes.get("failed", 0)
    document = json.loads((products.path / "report.json").read_text())
    jsonschema.validate(document, REPORT_SCHEMA)
    nodeids = [i["nodeid"] for i in document["items"]]
    assert len(nodeids) == len(set(nodeids)) == ran >= 9
    assert document["totals"]["failed"] == outcomes.get("failed", 0) >= 1
    assert document["versions"]["servers"]["sqlite"]
    result.stdout.fnmatch_lines(["*= dualwrite =*", f"{outcomes.get('passed', 0)} passed, "
                                 f"{outcomes.get('failed', 0)} failed, 0 skipped;*"])
