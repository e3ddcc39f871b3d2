"""What `python -m pipelines run` prints and leaves behind: its stages, then a short summary.

One run of the command on the sample (the session's `sample_command_run`) is
read by every test here.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from dagster import DagsterInstance, RunsFilter

from pipelines.definitions import BUILD_WAREHOUSE_JOB
from pipelines.paths import PROJECT_ROOT
from pipelines.run import job_origin, run_pipeline
from pipelines.settings import history_of, reports_beside
from tests.dagster_instance import ephemeral_instance


@pytest.fixture(scope="module")
def printed(sample_command_run) -> tuple[str, str]:
    finished, _ = sample_command_run
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout, finished.stderr


def summary_lines(stdout: str) -> list[str]:
    return stdout.split("\n\n", 1)[1].splitlines()


def test_a_run_shows_its_stages_not_dagsters_event_log(printed) -> None:
    stdout, stderr = printed
    # Nothing on the error stream: no event lines, no deprecation or supersession warnings.
    assert stderr == ""
    assert " - dagster - " not in stdout and "STEP_START" not in stdout
    stages = stdout.split("\n\n", 1)[0].splitlines()
    assert stages[0].startswith("Building ")
    assert re.fullmatch(r"  ingest returns +\d+\.\d s  10 files; 287 rows; 5 tables", stages[1])
    assert re.fullmatch(r"  quarterly reports +\d+\.\d s  4 report files", stages[-1])
    assert any(re.fullmatch(r"  published warehouse +\d+\.\d s  published", s) for s in stages)
    # A table of the partitioned marts is counted once, however many quarters were run.
    assert any(
        re.fullmatch(r"  marts models by quarter +\d+\.\d s  10 tables; 3 quarters; 10 checks", s)
        for s in stages
    )


def test_the_summary_counts_tables_by_schema_and_only_tables(printed) -> None:
    (tables,) = [line for line in summary_lines(printed[0]) if line.startswith("Tables built")]
    assert re.fullmatch(r"Tables built: \d+ in 9 schemas: (\w+ \d+, ){8}\w+ \d+", tables)
    assert "raw 4, reference 1, quarantine 2, validated 4, staging 8" in tables
    assert "marts 17" in tables
    assert "published_warehouse" not in tables and "quarterly_reports" not in tables


def test_the_summary_keeps_data_quality_findings_apart_from_failed_checks(printed) -> None:
    lines = summary_lines(printed[0])
    (checks,) = [line for line in lines if line.startswith("Checks:")]
    assert re.fullmatch(r"Checks: \d+ passed, 0 failed, 2 with a warning", checks)
    listed = lines[lines.index(checks) + 1 : lines.index(checks) + 3]
    assert listed == [
        "  WARN check marts/mart_priority_trend_by_judgement:expectations_warning",
        "  WARN check marts/mart_quartile_distribution_by_judgement:expectations_warning",
    ]
    assert not [line for line in lines if "found_nothing" in line]
    (findings,) = [line for line in lines if line.startswith("  found by ")]
    assert re.match(r"  found by 8 of the \d+ data-quality checks: due_value_missing, ", findings)


def test_the_summary_says_where_the_reports_went(printed, sample_command_run) -> None:
    _, warehouse = sample_command_run
    lines = summary_lines(printed[0])
    reports = reports_beside(warehouse)
    assert f"Reports: 4 files in {reports / 'quarterly'}" in lines
    latest = reports / "data-quality" / "latest.html"
    assert f"Data-quality page: {latest}" in lines
    run_id = lines[0].split()[1].rstrip(":")
    assert run_id in latest.read_text()


def test_a_warehouse_has_its_own_dagster_history_where_its_runs_show_under_the_job(
    printed, sample_command_run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, warehouse = sample_command_run
    run_id = summary_lines(printed[0])[0].split()[1].rstrip(":")
    monkeypatch.setenv("DAGSTER_STORAGE_DIR", str(history_of(warehouse)))
    monkeypatch.setenv("DAGSTER_COMPUTE_LOGS_DIR", str(history_of(warehouse) / "compute_logs"))
    with DagsterInstance.from_config(str(PROJECT_ROOT)) as instance:
        # The filter of the job's Runs tab in the UI: the job, in its code location.
        label = job_origin().repository_origin.get_label()
        under_the_job = instance.get_runs(
            RunsFilter(job_name=BUILD_WAREHOUSE_JOB, tags={".dagster/repository": label})
        )
        assert [run.run_id for run in under_the_job] == [run_id]
        # The run config holds what the command line changed from the settings file, only.
        assert under_the_job[0].run_config["resources"] == {
            "warehouse": {"config": {"path": str(warehouse)}},
            "reports_folder": {"config": {"path": str(reports_beside(warehouse))}},
        }
        assert label == "__repository__@council_performance"
        assert instance.get_dynamic_partitions("financial_quarter") == [
            "2021-22-Q2", "2021-22-Q4", "2024-25-Q2",
        ]  # fmt: skip


@pytest.mark.parametrize(
    "path",
    [
        "data/.warehouse.duckdb.lock", "data/warehouse.build.duckdb",
        "data/warehouse.dagster/history/runs.db", "data/trial.reports/latest.html",
        "reports/data-quality/latest.html", "logs/event.log", ".logs_queue/event.log",
    ],
)  # fmt: skip
def test_what_runs_and_dagster_dev_leave_in_the_project_is_ignored_by_git(path: str) -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "--quiet", "--no-index", path], cwd=PROJECT_ROOT, check=False
    )
    assert ignored.returncode == 0, f"{path} is not ignored"


def test_verbose_shows_dagsters_own_log_and_quiet_does_not(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # A folder with no returns: the run reads it, finds nothing and still goes through Dagster.
    (tmp_path / "returns").mkdir()
    for verbose in (False, True):
        with ephemeral_instance() as instance:
            run_pipeline(
                tmp_path / "returns", tmp_path / f"{verbose}" / "warehouse.duckdb",
                reports_dir=tmp_path / "reports", instance=instance, verbose=verbose,
            )  # fmt: skip
        captured = capfd.readouterr()
        assert ("STEP_START" in captured.err) == verbose


def test_an_error_nobody_foresaw_is_one_sentence_naming_the_log_that_holds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines import cli, run

    for name in ("DAGSTER_HOME", "DAGSTER_STORAGE_DIR", "DAGSTER_COMPUTE_LOGS_DIR"):
        monkeypatch.setenv(name, str(tmp_path / "dagster"))  # restored after the test

    def breaks(*_: object, **__: object) -> None:
        raise KeyError("a thing nobody foresaw")

    monkeypatch.setattr(run, "run_pipeline", breaks)
    warehouse = tmp_path / "warehouse.duckdb"
    assert cli.main(["run", "--warehouse", str(warehouse), "--period", "2024-25-Q2"]) == 1
    (sentence,) = capsys.readouterr().err.strip().splitlines()
    (log,) = (history_of(warehouse) / "failed-runs").iterdir()
    assert sentence == (
        "The run stopped on an error the pipeline does not expect ('a thing nobody foresaw'). "
        f"The details are in {log}: send that file to whoever looks after the pipeline."
    )
    assert 'raise KeyError("a thing nobody foresaw")' in log.read_text()


def test_the_readme_quotes_what_the_run_prints(printed) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    quoted = readme.split("```\nBuilding ", 1)[1].split("```", 1)[0]
    stage = re.compile(r"  (.+?) +\d+\.\d s  (.*)")

    def stages(text: str) -> list[tuple[str, ...]]:
        """Each stage and its counts; the seconds vary from run to run."""
        return [match.groups() for match in map(stage.fullmatch, text.splitlines()) if match]

    assert stages(quoted) == stages(printed[0])
    facts = ("Quarters:", "Files:", "Rows:", "Tables built:", "Checks:", "  WARN", "  found by")
    assert [line for line in quoted.splitlines() if line.startswith(facts)] == [
        line for line in summary_lines(printed[0]) if line.startswith(facts)
    ]
    findings = re.compile(r"Data quality of the quarters run: [^:]+:")
    assert findings.search(quoted).group() == findings.search(printed[0]).group()
