"""``python -m benchmarks`` (``nox -s bench``): every benchmark, one table, one JSON file.

Every figure is measured in the same run as its baseline (the raw vendor SDK, ``python -c
pass``, or the same operation at a smaller size), with the loopback servers in separate
processes. Options: ``--quick`` (fewer runs, for a smoke check), ``--json PATH``
(default ``benchmarks/results/latest.json``), ``--publish`` (also write the table into
``benchmarks/README.md``). The exit status is 1 when a figure misses its target (the
regression check).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from pathlib import Path
from typing import Any

import anyio

from benchmarks.concurrency import measure_concurrency
from benchmarks.encoding import measure_encoding
from benchmarks.overhead import measure_overhead
from benchmarks.report import Check, render
from benchmarks.server import serve_in_subprocess
from benchmarks.startup import measure_startup

STREAM_CHUNKS = 2000
CONCURRENT_STREAMS = 1000
CONCURRENT_CHUNKS = 100

#: pollytool's CPU per streamed chunk at most this many times the raw SDK's typed stream
#: (pollytool decodes the wire JSON; the SDK builds a typed object per chunk). Issue 23's
#: targets, except Ollama's (see ``FLOOR_TARGETS``).
STREAM_TARGETS = {"openai-chat": 0.35, "openai-responses": 0.35, "gemini": 0.35,
                  "anthropic": 0.7}  # fmt: skip
#: Providers whose typed stream costs little more than its transport: pollytool's CPU per chunk
#: at most the same run's transport floor (the SDK's HTTP library reading the bytes, no
#: parsing) plus this many times the raw SDK's cost. Issue 23 asked ≤ 0.7x for Ollama, but
#: its transport floor alone measures 0.72-0.95x: the ``ollama`` SDK's per-chunk model is
#: cheap and httpx's chunk reading is most of the cost, so no adapter that keeps the SDK's
#: transport can reach 0.7x; what pollytool controls is its parsing and decoding on top.
FLOOR_TARGETS = {"ollama": 0.25}
#: pollytool's whole non-streamed call at 500 history messages at most this many times the
#: raw SDK's call with pre-built parameters.
WHOLE_CALL_TARGETS = {"openai-chat": 0.2, "openai-responses": 0.2, "gemini": 0.2}


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", default="benchmarks/results/latest.json")
    parser.add_argument("--publish", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args()
    runs = 3 if args.quick else 15
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network at import

    results: dict[str, Any] = {"machine": _machine(), "quick": args.quick}
    with serve_in_subprocess(STREAM_CHUNKS) as url:
        results["overhead"] = anyio.run(measure_overhead, url, STREAM_CHUNKS, runs)
        results["startup"] = measure_startup(url, runs)
    with serve_in_subprocess("json") as url:
        results["encoding"] = anyio.run(measure_encoding, url, 20 if args.quick else 60)
    with serve_in_subprocess(CONCURRENT_CHUNKS) as url:
        results["concurrency"] = measure_concurrency(
            url, CONCURRENT_STREAMS, 1 if args.quick else 3
        )

    from benchmarks.sessions import run as run_sessions
    from benchmarks.toolloop import measure_toolloop

    results["toolloop"] = anyio.run(measure_toolloop, runs)
    results["sessions"] = run_sessions()

    checks = _checks(results)
    results["checks"] = [c.as_dict() for c in checks]
    report = render(results, checks)
    print(report)
    if args.publish:
        _publish(report)
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten: {path}")
    return 0 if all(c.ok for c in checks) else 1


def _publish(report: str) -> None:
    readme = Path(__file__).with_name("README.md")
    text = readme.read_text()
    start = text.index(_RESULTS_START) + len(_RESULTS_START)
    end = text.index(_RESULTS_END)
    readme.write_text(text[:start] + "\n" + report + "\n" + text[end:])


_RESULTS_START = "<!-- results: start -->"
_RESULTS_END = "<!-- results: end -->"


def _stream_checks(rows: list[dict[str, Any]]) -> list[Check]:
    ratios = {(r["provider"], r["contender"]): r["ratio"] for r in rows}
    checks = []
    for (provider, contender), ratio in ratios.items():
        if contender != "pollytool":
            continue
        if provider in FLOOR_TARGETS:
            floor = ratios[(provider, "transport floor")]
            target = round(floor + FLOOR_TARGETS[provider], 3)
            wanted = f"≤ {target}x (transport floor {floor:.3f}x + {FLOOR_TARGETS[provider]}x)"
        else:
            target = STREAM_TARGETS[provider]
            wanted = f"≤ {target}x"
        checks.append(Check(f"stream CPU per chunk vs raw SDK {provider}", ratio, wanted,
                            ratio <= target))  # fmt: skip
    return checks


def _checks(results: dict[str, Any]) -> list[Check]:
    checks = _stream_checks(results["overhead"])
    polly_import = next(r for r in results["startup"] if r["contender"] == "pollytool")
    checks.append(Check("import pollytool adds (ms)", polly_import["added_ms"], "< 100 ms",
                        polly_import["added_ms"] < 100))  # fmt: skip
    checks.append(Check("vendor modules after import pollytool", polly_import["vendor_modules"],
                        "none", polly_import["vendor_modules"] == "-"))  # fmt: skip
    for provider in sorted({r["provider"] for r in results["encoding"]}):
        rows = {r["messages"]: r for r in results["encoding"] if r["provider"] == provider}
        at_500 = rows[500]["encode_ms"]
        checks.append(Check(f"encoding {provider} at 500 messages (ms)", at_500, "< 1 ms",
                            at_500 < 1.0))  # fmt: skip
        growth = at_500 / rows[100]["encode_ms"]
        checks.append(Check(f"encoding {provider} growth 100 -> 500 messages", growth,
                            "linear: < 10x for 5x the messages (quadratic is 25x)",
                            growth < 10.0))  # fmt: skip
        if provider in WHOLE_CALL_TARGETS:
            target = WHOLE_CALL_TARGETS[provider]
            checks.append(Check(f"whole call {provider} at 500 messages vs raw SDK",
                                rows[500]["ratio"], f"≤ {target}x",
                                rows[500]["ratio"] <= target))  # fmt: skip
    for row in results["concurrency"]:
        checks.append(Check(f"{row['contender']}: {row['streams']} concurrent streams completed",
                            row["completed"], f"= {row['streams']}",
                            row["completed"] == row["streams"]))  # fmt: skip
    for row in results["toolloop"]:
        if "target_us" in row:
            checks.append(Check(row["what"], row["per_call_us"], f"< {row['target_us']} µs",
                                row["per_call_us"] < row["target_us"]))  # fmt: skip
    for row in results["sessions"]:
        if row.get("ratio") is not None and row.get("target") is not None:
            checks.append(Check(row["name"], row["ratio"], f"≤ {row['target']}x",
                                row["ratio"] <= row["target"]))  # fmt: skip
    return checks


if __name__ == "__main__":
    raise SystemExit(main())
