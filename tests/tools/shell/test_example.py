"""examples/weather_shell_tool runs keyless, with its tool in the sandbox, and prints what it
promises. (tests/test_examples.py covers the top-level examples.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.sandbox.helpers import require, require_bwrap

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "weather_shell_tool"


def test_weather_shell_tool_example(tmp_path: Path) -> None:
    require_bwrap()
    require(os.path.exists("/usr/bin/jq"), "jq is not installed (apt-get install jq)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLLYTOOL_")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE / "weather_shell_tool.py")],
        capture_output=True, text=True, env={**env, "HOME": str(tmp_path)}, timeout=60,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "loaded weather__get_weather: Get current weather for a location [sandboxed]",
        '  -> weather__get_weather({"location": "San Francisco, CA"}) = 65°F, foggy with '
        "moderate winds",
        '  -> weather__get_weather({"location": "New York, NY", "units": "celsius"}) = 7°C, '
        "partly cloudy",
        "San Francisco is 65°F and foggy; New York is 7°C and partly cloudy.",
    ]
