"""The benchmark: the pipeline as users run it, against the bare engine, at three scales.

    make benchmark                      # every scale, 3 runs of each measure, and the tests
    .venv/bin/python -m benchmarks.run_benchmark --scales sample,medium --repeats 2 --no-tests

For each scale it generates synthetic returns (benchmarks/generate_returns.py,
cached in benchmarks/.work/) and measures, in separate processes so that each
starts cold:

- the whole pipeline as the README runs it (`python -m pipelines run`), with a
  fresh warehouse and fresh Dagster storage: wall time, peak memory, and the
  time of each stage inside it, read from the run's Dagster event log;
- the bare reference (benchmarks/reference.py and reference.sql): the same core
  work on the same files, the fastest honest way DuckDB can do it; every run
  checks that its summary marts hold the pipeline's figures;
- adding one quarter to that history (`run --period` on the warehouse the full
  run left), against rebuilding everything with that quarter from nothing.

`sample` is the README's own run on data/raw, cold and then warm (the same command
again with nothing changed). Unless --no-tests, it also times the test suite
(`pytest`, as `make test` runs it). The table (median and min-max over the
repeats) and every target, met or missed, are printed and written to
benchmarks/results.md with the machine they came from.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import duckdb

from benchmarks.generate_returns import generate, quarter_at, write_expected_returns
from pipelines.paths import DEFAULT_EXPECTED_RETURNS, DEFAULT_RETURNS_DIR, PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "benchmarks"
WORK = BENCHMARKS / ".work"
RESULTS = BENCHMARKS / "results.md"
SEED = 7
# Bumped when the generator changes, so data from an older generator is not reused.
GENERATOR_VERSION = 2
GIB = 1024**3


@dataclass(frozen=True)
class Scale:
    name: str
    authorities: int
    quarters: int
    indicators: int

    @property
    def generated(self) -> bool:
        return self.name != "sample"

    @property
    def size(self) -> str:
        if not self.generated:
            return "data/raw"
        return f"{self.authorities} x {self.quarters} x {self.indicators}"


SCALES = {
    "sample": Scale("sample", 0, 0, 0),
    "small": Scale("small", 1, 4, 100),
    "medium": Scale("medium", 50, 12, 250),
    "large": Scale("large", 400, 12, 300),
}

# Targets of issue 13, on a 2-core machine.
PIPELINE_OVER_REFERENCE = 2.0
PEAK_MEMORY = 4 * GIB
ADD_QUARTER_OVER_REBUILD = 0.15
SAMPLE_COLD_SECONDS = 10.0
SAMPLE_WARM_SECONDS = 3.0
TEST_SUITE_SECONDS = 120.0


@dataclass
class Measure:
    """One measured process."""

    seconds: float
    peak_bytes: int
    stages: dict[str, float] = field(default_factory=dict)


@dataclass
class Inputs:
    history: Path  # the scale's quarters
    with_next_quarter: Path  # the same files and one quarter more
    expected_returns: Path
    next_quarter: str | None  # its partition key
    rows: int | None  # indicator rows generated


def prepare(scale: Scale) -> Inputs:
    """The scale's returns, generated once and kept in benchmarks/.work/."""
    if not scale.generated:
        return Inputs(
            DEFAULT_RETURNS_DIR, DEFAULT_RETURNS_DIR, DEFAULT_EXPECTED_RETURNS, None, None
        )
    folder = WORK / f"{scale.name}-{scale.size.replace(' x ', 'x')}-seed{SEED}-v{GENERATOR_VERSION}"
    history, with_next = folder / "returns", folder / "returns-and-next-quarter"
    register = folder / "expected_returns.csv"
    done = folder / "generated.txt"
    if not done.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        made = generate(history, scale.authorities, scale.quarters, scale.indicators, SEED)
        shutil.copytree(history, with_next, copy_function=os.link)
        generate(with_next, scale.authorities, scale.quarters + 1, scale.indicators, SEED,
                 first_quarter=scale.quarters)  # fmt: skip
        write_expected_returns(register, scale.authorities, scale.indicators)
        done.write_text(f"{made['rows']}\n")
    next_key = quarter_at(scale.quarters).partition_key
    return Inputs(history, with_next, register, next_key, int(done.read_text()))


def measure_process(
    command: list[str], env: dict[str, str] | None = None
) -> tuple[float, int, str]:
    """Wall time, peak resident memory and output of a process started cold.

    The peak is of the process and every process it starts, together (the pipeline
    validates its suites in a process of its own and writes reports in others), sampled
    every tenth of a second; no less than the largest single process's own peak."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    tree_peak = [0]
    sampling = threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(process.pid, tree_peak, sampling))
    sampler.start()
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    sampling.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    text = output.decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({process.returncode}):\n{text[-3000:]}")
    return seconds, max(usage.ru_maxrss * 1024, tree_peak[0]), text


def _sample_tree(root: int, peak: list[int], done: threading.Event) -> None:
    page = os.sysconf("SC_PAGE_SIZE")
    while not done.wait(0.1):
        parents: dict[int, int] = {}
        resident: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                pages = int((entry / "statm").read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue  # gone while being read
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
            resident[int(entry.name)] = pages * page
        tree, grown = {root}, True
        while grown:
            grown = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grown = True
        peak[0] = max(peak[0], sum(resident.get(pid, 0) for pid in tree))


def run_pipeline(
    inputs: Inputs, returns: Path, workdir: Path, periods: list[str], *, warm: bool = False
) -> Measure:
    storage = workdir / "dagster"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(PROJECT_ROOT),
        "DAGSTER_STORAGE_DIR": str(storage),
        "DAGSTER_COMPUTE_LOGS_DIR": str(storage / "compute_logs"),
    }
    command = [
        sys.executable, "-m", "pipelines", "run", "--returns-dir", str(returns),
        "--warehouse", str(workdir / "warehouse.duckdb"),
        "--expected-returns", str(inputs.expected_returns),
        "--reports-dir", str(workdir / "reports"),
    ]  # fmt: skip
    for period in periods:
        command += ["--period", period]
    started = time.time()
    seconds, peak, output = measure_process(command, env)
    if warm:
        # Nothing changed since the run before: no Dagster run, so no stages to read.
        if "Nothing changed" not in output:
            raise RuntimeError(f"the warm run ran the pipeline again:\n{output[-3000:]}")
        return Measure(seconds, peak)
    return Measure(seconds, peak, stage_times(storage, started, seconds))


def stage_times(storage: Path, process_started: float, process_seconds: float) -> dict[str, float]:
    """Where the run's time went, from its Dagster event log."""
    os.environ["DAGSTER_STORAGE_DIR"] = str(storage)
    os.environ["DAGSTER_COMPUTE_LOGS_DIR"] = str(storage / "compute_logs")
    from dagster import DagsterEventType, DagsterInstance

    with DagsterInstance.from_config(str(PROJECT_ROOT)) as instance:
        (run,) = instance.get_runs(limit=1)
        records = instance.all_logs(run.run_id)
    stages: dict[str, float] = {}
    step_started: dict[str, float] = {}
    for record in records:
        event = record.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            step_started[event.step_key] = record.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            stage = stage_of(event.step_key)
            spent = record.timestamp - step_started[event.step_key]
            stages[stage] = stages.get(stage, 0.0) + spent
    run_seconds = records[-1].timestamp - records[0].timestamp
    stages["Dagster between steps"] = run_seconds - sum(stages.values())
    stages["start-up (imports, definitions)"] = records[0].timestamp - process_started
    stages["after the run (summary, data-quality page)"] = (
        process_started + process_seconds - records[-1].timestamp
    )
    return stages


STAGES = (
    "start-up (imports, definitions)",
    "read returns",
    "gate (Pandera)",
    "SQL models and their checks",
    "data-quality findings",
    "expectations (Great Expectations)",
    "quarterly reports",
    "publish",
    "Dagster between steps",
    "after the run (summary, data-quality page)",
)


def stage_of(step_key: str) -> str:
    if step_key == "ingest_returns":
        return "read returns"
    if step_key == "return_gate" or step_key.startswith("validated__"):
        return "gate (Pandera)"
    if step_key.endswith("_expectations"):
        return "expectations (Great Expectations)"
    if step_key == "quarterly_reports":
        return "quarterly reports"
    if step_key == "published_warehouse":
        return "publish"
    if step_key.startswith("quality_models"):
        return "data-quality findings"
    return "SQL models and their checks"


# What the reference and the pipeline must agree on: each summary mart's counts. The
# reference judges every period on the latest revision of every value, so it is held to
# the pipeline's restated marts (`<mart>_restated`), not the as-published ones.
COMPARED_MARTS = {
    "mart_priority_performance": "n_with_data, n_met, n_within, n_not_met, n_data_gaps",
    "mart_priority_trend": "n_with_data, n_improved, n_worse, n_same",
    "mart_quartile_distribution": "n_with_data, n_q1, n_q2, n_q3, n_q4",
}


def compare_marts(pipeline_warehouse: Path, reference_database: Path) -> list[str]:
    """Where the reference's summary marts differ from the pipeline's: nothing, or a line
    per mart naming how many rows differ and the first of them."""
    differences = []
    with duckdb.connect() as connection:
        connection.execute(f"attach '{pipeline_warehouse}' as pipeline (read_only)")
        connection.execute(f"attach '{reference_database}' as reference (read_only)")
        for mart, counts in COMPARED_MARTS.items():
            columns = f"authority, reporting_period, priority, {counts}"
            different = connection.sql(
                f"(select 'pipeline' as side, {columns} from pipeline.marts.{mart}_restated "
                f"except all select 'pipeline', {columns} from reference.{mart}) union all "
                f"(select 'reference', {columns} from reference.{mart} "
                f"except all select 'reference', {columns} from pipeline.marts.{mart}_restated) "
                "order by authority, reporting_period, priority, side"
            ).fetchall()
            if different:
                differences.append(f"{mart}: {len(different)} rows differ, e.g. {different[:2]}")
    return differences


def run_reference(returns: Path, workdir: Path) -> Measure:
    command = [sys.executable, "-m", "benchmarks.reference", str(returns),
               str(workdir / "reference.duckdb")]  # fmt: skip
    seconds, peak, _ = measure_process(command)
    return Measure(seconds, peak)


def run_tests() -> Measure:
    """The test suite as `make test` runs it (lint apart: seconds, and not a test): on every
    core, as pyproject.toml's addopts ask."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    seconds, peak, _ = measure_process(command)
    return Measure(seconds, peak)


@dataclass
class ScaleResult:
    scale: Scale
    inputs: Inputs
    pipeline: list[Measure] = field(default_factory=list)
    warm: list[Measure] = field(default_factory=list)
    reference: list[Measure] = field(default_factory=list)
    # Per repeat, where the reference's marts differ from the pipeline's (nothing: agreed).
    disagreements: list[list[str]] = field(default_factory=list)
    add_quarter: list[Measure] = field(default_factory=list)
    rebuild: list[Measure] = field(default_factory=list)


def bench(scale: Scale, repeats: int) -> ScaleResult:
    inputs = prepare(scale)
    result = ScaleResult(scale, inputs)
    for repeat in range(repeats):
        print(f"  {scale.name}: run {repeat + 1} of {repeats}", flush=True)
        with tempfile.TemporaryDirectory(dir=WORK) as scratch:
            scratch = Path(scratch)
            full, rebuilt, reference = scratch / "full", scratch / "rebuild", scratch / "reference"
            for folder in (full, rebuilt, reference):
                folder.mkdir()
            result.pipeline.append(run_pipeline(inputs, inputs.history, full, []))
            if inputs.next_quarter is None:
                result.warm.append(run_pipeline(inputs, inputs.history, full, [], warm=True))
                continue
            result.reference.append(run_reference(inputs.history, reference))
            result.disagreements.append(
                compare_marts(full / "warehouse.duckdb", reference / "reference.duckdb")
            )
            result.add_quarter.append(
                run_pipeline(inputs, inputs.with_next_quarter, full, [inputs.next_quarter])
            )
            result.rebuild.append(run_pipeline(inputs, inputs.with_next_quarter, rebuilt, []))
    return result


def size_cell(result: ScaleResult) -> str:
    rows = result.inputs.rows
    return result.scale.size + (f" ({rows:,} rows)" if rows is not None else "")


def seconds_cell(measures: list[Measure]) -> tuple[str, str]:
    times = [m.seconds for m in measures]
    return f"{statistics.median(times):.1f}", f"{min(times):.1f}-{max(times):.1f}"


def median(measures: list[Measure]) -> float:
    return statistics.median(m.seconds for m in measures)


def peak(measures: list[Measure]) -> int:
    return max(m.peak_bytes for m in measures)


def report(results: list[ScaleResult], tests: Measure | None) -> str:
    lines = [
        "| scale | authorities x quarters x indicators | measure | median s | min-max s "
        "| peak memory MiB |",
        "|---|---|---|---:|---:|---:|",
    ]
    for result in results:
        for label, measures in (
            ("pipeline, cold, every quarter", result.pipeline),
            ("pipeline, warm: the same run again, nothing changed", result.warm),
            ("bare DuckDB reference", result.reference),
            ("add one quarter to that history", result.add_quarter),
            ("rebuild with that quarter", result.rebuild),
        ):
            if measures:
                middle, spread = seconds_cell(measures)
                lines.append(
                    f"| {result.scale.name} | {size_cell(result)} | {label} | {middle} | {spread} "
                    f"| {peak(measures) / 2**20:.0f} |"
                )
    if tests is not None:
        lines.append(
            f"| tests | | the test suite (pytest) | {tests.seconds:.1f} | | "
            f"{tests.peak_bytes / 2**20:.0f} |"
        )
    lines += ["", "Ratios, measured in the same run:", ""]
    for result in results:
        if result.reference:
            lines.append(
                f"- {result.scale.name}: pipeline / reference = "
                f"{median(result.pipeline) / median(result.reference):.1f}x; "
                f"add one quarter / rebuild = "
                f"{median(result.add_quarter) / median(result.rebuild):.0%}"
            )
    lines += ["", "The reference's summary marts against the pipeline's, on the same files:", ""]
    for result in results:
        if result.disagreements:
            differing = [line for repeat in result.disagreements for line in repeat]
            lines.append(
                f"- {result.scale.name}: "
                + (
                    "the same figures in every run (" + ", ".join(COMPARED_MARTS) + ")"
                    if not differing
                    else "DIFFERENT: " + "; ".join(differing[:3])
                )
            )
    lines += ["", "Where the pipeline's time goes (median seconds per stage):", ""]
    runs = [(f"{r.scale.name}, cold", r.pipeline) for r in results] + [
        (f"{r.scale.name}, add a quarter", r.add_quarter) for r in results if r.add_quarter
    ]
    lines += [
        f"| stage | {' | '.join(name for name, _ in runs)} |",
        "|---|" + "---:|" * len(runs),
    ]
    for stage in STAGES:
        cells = [
            f"{statistics.median(m.stages.get(stage, 0.0) for m in measures):.1f}"
            for _, measures in runs
        ]
        lines.append(f"| {stage} | {' | '.join(cells)} |")
    lines += ["", "Targets:", "", *targets(results, tests)]
    return "\n".join(lines)


def targets(results: list[ScaleResult], tests: Measure | None) -> list[str]:
    by_name = {r.scale.name: r for r in results}
    verdicts = []
    if large := by_name.get("large"):
        ratio = median(large.pipeline) / median(large.reference)
        over = median(large.pipeline) - PIPELINE_OVER_REFERENCE * median(large.reference)
        verdicts.append(
            verdict(
                ratio <= PIPELINE_OVER_REFERENCE,
                f"large: pipeline within "
                f"{PIPELINE_OVER_REFERENCE:.0f}x of the reference: {ratio:.1f}x "
                f"({median(large.pipeline):.0f} s against {median(large.reference):.1f} s"
                + (f", {over:.0f} s over)" if over > 0 else ")"),
                large.pipeline,
            )
        )
        used = peak(large.pipeline + large.add_quarter + large.rebuild)
        verdicts.append(
            verdict(
                used < PEAK_MEMORY, f"large: peak memory under 4 GiB: {used / GIB:.2f} GiB", None
            )
        )
        share = median(large.add_quarter) / median(large.rebuild)
        verdicts.append(
            verdict(
                share < ADD_QUARTER_OVER_REBUILD,
                f"large: adding one quarter under "
                f"{ADD_QUARTER_OVER_REBUILD:.0%} of a rebuild: {share:.0%}",
                large.add_quarter,
            )
        )
    else:
        verdicts.append("- NOT MEASURED: the large-scale targets (the large scale was not run)")
    if sample := by_name.get("sample"):
        took = median(sample.pipeline)
        verdicts.append(
            verdict(
                took < SAMPLE_COLD_SECONDS,
                f"sample: the README's run, cold, under {SAMPLE_COLD_SECONDS:.0f} s: {took:.1f} s",
                sample.pipeline,
            )
        )
        took = median(sample.warm)
        verdicts.append(
            verdict(
                took < SAMPLE_WARM_SECONDS,
                f"sample: the same run again with nothing changed, under "
                f"{SAMPLE_WARM_SECONDS:.0f} s: {took:.1f} s",
                None,
            )
        )
    else:
        verdicts.append("- NOT MEASURED: the sample's cold and warm runs (not run)")
    if tests is not None:
        verdicts.append(
            verdict(
                tests.seconds < TEST_SUITE_SECONDS,
                f"the test suite under {TEST_SUITE_SECONDS:.0f} s: {tests.seconds:.0f} s",
                None,
            )
        )
    else:
        verdicts.append("- NOT MEASURED: the test suite (--no-tests)")
    return verdicts


def verdict(met: bool, text: str, breakdown: list[Measure] | None) -> str:
    line = f"- {'MET' if met else 'MISSED'}: {text}"
    if not met and breakdown:
        slowest = sorted(
            ((statistics.median(m.stages.get(s, 0.0) for m in breakdown), s)
             for s in STAGES),
            reverse=True,
        )[:3]  # fmt: skip
        line += "; the slowest stages: " + ", ".join(f"{s} {t:.1f} s" for t, s in slowest)
    return line


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")),
        platform.processor() or "unknown CPU",
    )  # fmt: skip
    memory_kib = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )  # fmt: skip
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("dagster", "duckdb", "polars", "pandera", "great-expectations")
    )
    # Other processes on the machine slow every figure alike; the load says how busy it was.
    load = ", ".join(f"{average:.1f}" for average in os.getloadavg())
    return (
        f"{cpu}, {len(os.sched_getaffinity(0))} cores available, "
        f"{memory_kib / 2**20:.0f} GiB memory; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {versions}; load average (1, 5, 15 min) "
        f"when written: {load}"
    )


def write_results(
    path: Path, results: list[ScaleResult], tests: Measure | None, started: dt.datetime
) -> None:
    runs = ", ".join(f"{r.scale.name} {len(r.pipeline)}" for r in results)
    path.write_text(
        "# Benchmark results\n\n"
        f"Measured {started:%Y-%m-%d %H:%M} UTC by `python -m benchmarks.run_benchmark "
        f"{' '.join(sys.argv[1:])}`; runs of each measure: {runs}.\n\n"
        f"Machine: {machine()}.\n\n{report(results, tests)}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scales", default="sample,small,medium,large",
                        help="comma-separated, from: " + ", ".join(SCALES))  # fmt: skip
    parser.add_argument("--repeats", type=int, default=3, help="runs of each measure")
    parser.add_argument("--large-repeats", type=int, help="runs at the large scale, if fewer")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where to write the table")
    parser.add_argument("--no-tests", action="store_true", help="do not time the test suite")
    arguments = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    scales = [SCALES[name] for name in arguments.scales.split(",")]
    started = dt.datetime.now(dt.UTC)
    results: list[ScaleResult] = []
    for scale in scales:
        print(f"{scale.name} ({scale.size})", flush=True)
        large = scale.name == "large" and arguments.large_repeats is not None
        results.append(bench(scale, arguments.large_repeats if large else arguments.repeats))
        # Written after each scale, so a long run stopped part-way keeps what it measured.
        write_results(arguments.results, results, None, started)
    tests = None
    if not arguments.no_tests:
        print("tests (pytest)", flush=True)
        tests = run_tests()
        write_results(arguments.results, results, tests, started)
    print(report(results, tests))
    print(f"\nWritten to {arguments.results}")


if __name__ == "__main__":
    main()
