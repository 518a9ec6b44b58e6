"""Summarise a CI log: the failing step and its first error lines, as JSON on stdout.

Usage: summarize_log.py LOG_FILE [--max-lines N]
"""

import argparse
import json
import re
import sys


def summarize(lines: list[str], max_lines: int) -> dict[str, object]:
    step = None
    errors: list[str] = []
    for line in lines:
        match = re.match(r"^##\[group\]Run (.*)$", line)
        if match:
            step = match.group(1)
            errors = []
        elif re.search(r"\b(error|failed|FAILED)\b", line):
            errors.append(line.strip())
    return {"failing_step": step, "errors": errors[:max_lines]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("log")
    parser.add_argument("--max-lines", type=int, default=5)
    args = parser.parse_args()
    with open(args.log, encoding="utf-8", errors="replace") as handle:
        lines = handle.read().splitlines()
    json.dump(summarize(lines, args.max_lines), sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
