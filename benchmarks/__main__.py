"""``python -m benchmarks``: the benchmark suite is being built (see the benchmarks issue)."""

import sys

print("benchmarks: no benchmarks are implemented yet", file=sys.stderr)
raise SystemExit(1)
