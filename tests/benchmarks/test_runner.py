"""``python -m benchmarks`` runs every benchmark at tiny sizes and prints every figure.

No timing is asserted (the machine is shared): only that the run succeeds, that the table
and its JSON have every figure with a measured limit and a ratio, and that the peer and our
engine both ran. PostgreSQL is used when ``TEST_DATABASE_URL`` is set (as in CI).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = os.environ.get("TEST_DATABASE_URL", "")

#: group → how many figures it gives.
EXPECTED = {
    "decision": 3,
    "advance": 1,
    "lifecycle": 2,
    "documents": 2,
    "reports": 3,
    "pages": 4,
    "memory": 1,
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "benchmarks", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def quick_run() -> dict:
    postgres = ["--postgres-url", POSTGRES] if POSTGRES else ["--no-postgres"]
    completed = _run("--quick", "--json", *postgres)
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads(completed.stdout)


@pytest.mark.slow
def test_every_benchmark_gives_its_figures_with_a_ratio(quick_run):
    assert quick_run["errors"] == []
    figures = quick_run["figures"]
    groups: dict[str, int] = {}
    for figure in figures:
        groups[figure["group"]] = groups.get(figure["group"], 0) + 1
        assert figure["ours"] > 0, figure
        assert figure["limit"] is not None and figure["limit"] > 0, figure
        assert figure["ratio"] is not None and not math.isnan(figure["ratio"]), figure
        assert math.isclose(figure["ratio"], figure["ours"] / figure["limit"], rel_tol=1e-9)
        assert figure["target"] is not None, figure
        assert figure["met"] in (True, False), figure
    expected = dict(EXPECTED)
    if not POSTGRES:
        expected["lifecycle"] = 1
        assert [s["name"] for s in quick_run["skipped"]] == [
            "case lifecycle, PostgreSQL: ours vs SpiffWorkflow (cases/s)"
        ]
    else:
        assert quick_run["skipped"] == []
    assert groups == expected


@pytest.mark.slow
def test_the_lifecycle_ran_with_one_machine_and_the_peer_persisted(quick_run):
    lifecycle = [f for f in quick_run["figures"] if f["group"] == "lifecycle"]
    for figure in lifecycle:
        assert figure["extra"]["machines_built"] == 0
        assert figure["extra"]["cases"] == quick_run["sizes"]["lifecycles"]
        assert figure["extra"]["peer_seconds"] > 0


@pytest.mark.slow
def test_the_table_lists_every_benchmark_with_its_target():
    completed = _run("--quick", "--only", "decision,advance", "--no-postgres")
    assert completed.returncode == 0, completed.stderr[-4000:]
    lines = completed.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("figure"))
    assert lines[header].split() == ["figure", "ours", "limit", "ratio", "target", "result"]
    rows = [line for line in lines[header + 2 :] if line.strip()][:4]
    assert len(rows) == 4
    for row in rows:
        assert "<= 15" in row or ">= 0.5" in row
        assert row.rstrip().endswith(("met", "NOT met"))
    assert "targets met" in completed.stdout


def test_an_unknown_benchmark_is_an_error():
    completed = _run("--only", "nonsense")
    assert completed.returncode != 0
    assert "unknown benchmark" in completed.stderr


@pytest.mark.slow
def test_mediation_bench_runs_the_same_runner():
    script = Path(sys.executable).with_name("mediation")
    completed = subprocess.run(
        [str(script), "bench", "--quick", "--only", "decision", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    figures = json.loads(completed.stdout)["figures"]
    assert [f["group"] for f in figures] == ["decision"] * EXPECTED["decision"]
