"""Start a server command and wait until its port accepts connections."""

import argparse
import socket
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cmd", required=True, help="the command that starts the server")
    parser.add_argument("--port", type=int, required=True, help="the port to wait for")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait")
    args = parser.parse_args()
    process = subprocess.Popen(args.cmd, shell=True)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", args.port)) == 0:
                print(f"ready: pid {process.pid} on port {args.port}")
                return 0
        time.sleep(0.2)
    process.terminate()
    print(f"port {args.port} did not open within {args.timeout}s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
