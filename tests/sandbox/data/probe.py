"""Attacks that need more than a shell, run inside the sandbox. Exit status 0 means the
attack worked; what was reached is printed.

    probe.py tcp PORT | udp PORT | unix PATH | abstract NAME | resolve NAME | ptrace PID
             | unix-socket
"""

import ctypes
import socket
import sys


def connect(family: int, address: object) -> int:
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(address)
        print(s.recv(64).decode())
    return 0


def udp(port: int) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        s.sendto(b"query", ("127.0.0.1", port))
        print(s.recv(64).decode())
    return 0


def ptrace(pid: int) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    PTRACE_ATTACH = 16
    if libc.ptrace(PTRACE_ATTACH, pid, None, None) != 0:
        print("ptrace failed, errno", ctypes.get_errno())
        return 1
    return 0


def main(kind: str, target: str = "") -> int:
    try:
        if kind == "tcp":
            return connect(socket.AF_INET, ("127.0.0.1", int(target)))
        if kind == "udp":
            return udp(int(target))
        if kind == "unix":
            return connect(socket.AF_UNIX, target)
        if kind == "abstract":
            return connect(socket.AF_UNIX, "\0" + target)
        if kind == "unix-socket":
            socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()
            return 0
        if kind == "socketpair":
            a, b = socket.socketpair()
            a.sendall(b"pair-ok")
            print(b.recv(16).decode())
            return 0
        if kind == "resolve":
            print(socket.getaddrinfo(target, 80)[0][4][0])
            return 0
        if kind == "ptrace":
            return ptrace(int(target))
    except OSError as exc:
        print(f"{kind} failed: {exc!r}")
        return 1
    raise SystemExit(f"unknown probe {kind!r}")


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
