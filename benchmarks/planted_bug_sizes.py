"""Counterexample size per planted bug (as tests/test_spec_checks.py counts it), one tree.

tests/examples/products with DW_BUG set, both backends, under the plugin of the tree given
(an older commit's worktree, or this one): how many failures, and per failure the rows
generated or written in the shrunk example's operations. Compare two trees' output to see
that a change kept every check's power (same failures, same counterexample sizes).

Run:  DUALWRITE_POSTGRES_URL=... python benchmarks/planted_bug_sizes.py TREE
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
tree = sys.argv[1]
BUGS = {"skip_nulls": "backfill_preserves_every_record",
        "not_idempotent": "backfill_is_idempotent",
        "update_old_only": "dual_write_keeps_both_equal",
        "delete_old_only": "dual_write_keeps_both_equal",
        "stale_snapshot": "dual_write_keeps_both_equal",
        "offset_skip": "backfill_preserves_every_record",
        "truncate40": "backfill_preserves_every_record",
        "read_no_fallback": "read_path_matches"}
boot = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in "
        "getattr(f, '__module__', '')]; sys.path.insert(0, sys.argv.pop(1)); import pytest; "
        "sys.exit(pytest.main(sys.argv[1:]))")
for bug, item in BUGS.items():
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "p")
        shutil.copytree(ROOT / "tests" / "examples" / "products", p)
        env = dict(os.environ, DW_BUG=bug)
        out = subprocess.run([sys.executable, "-c", boot, tree, "--dualwrite",
                              "--dualwrite-backend=sqlite,postgres", "-p", "no:cacheprovider",
                              "-p", "no:randomly", "-k", item], cwd=p, env=env,
                             capture_output=True, text=True, check=False).stdout
    failures = re.split(r"^_{3,} .* _{3,}$", out, flags=re.MULTILINE)[1:]
    sizes = []
    for text in failures:
        if "--- operations ---" not in text:
            sizes.append("no-ops")
            continue
        ops = text.split("--- operations ---")[1].split("---")[0]
        sizes.append(len(re.findall(r"^\s*\d+\.\s+(?:\{|write\()", ops, flags=re.MULTILINE)))
    print(f"{bug:18} failures={len(failures)} rows={sizes}", flush=True)
