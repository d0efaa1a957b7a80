import builds

from pytest_dualwrite import Cutover, DualWrite

artifacts_to_runs = DualWrite(
    old="artifacts",
    new=builds.RUNS_AS_ARTIFACTS,
    key=["project", "run_no", "name"],
    columns=["label", "size", "created_at", "meta"],
    expand=2,
    write=builds.write,
    update=builds.update,
    delete=builds.delete,
    backfill=builds.backfill,
    read=builds.read,
    cutover=Cutover(write=builds.write_new, update=builds.update_new, delete=builds.delete),
    # The tables the SELECT joins, each with its key columns as the SELECT outputs them:
    # an output without its run, or a run without outputs, is a finding, not hidden.
    spans={"runs": "run_id", "outputs": ["run_id", "name"]},
)
