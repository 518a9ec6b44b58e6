"""A seccomp filter for sandboxed processes, assembled as classic BPF with no dependencies.

``bwrap --seccomp FD`` loads it (and sets ``no_new_privs``) just before it starts the tool.
It denies, with ``EPERM``:

- ``socket(AF_UNIX, …)`` and ``socket(AF_VSOCK, …)``: a read-only bind does not stop a
  ``connect()`` to a Unix socket such as ``docker.sock``, the ssh or gpg agent, or D-Bus, and
  a network namespace does not cover them. ``socketpair()`` still works.
- new user namespaces (``unshare`` / ``clone`` with ``CLONE_NEWUSER``), which would reopen
  kernel attack surface; ``clone3`` returns ``ENOSYS`` so libc falls back to ``clone``, whose
  flags the filter can read;
- ``ptrace``, ``process_vm_readv`` / ``process_vm_writev`` and ``io_uring`` (which could
  create sockets without calling ``socket()``).

Syscalls of another ABI (32-bit or x32 entry points) kill the process: their numbers differ
and would slip past the rules.
"""

from __future__ import annotations

import platform
import struct
from dataclasses import dataclass

__all__ = ["UnsupportedArchitecture", "seccomp_filter"]

# BPF instruction classes and fields (linux/filter.h, linux/bpf_common.h).
_LD_W_ABS = 0x20
_JEQ = 0x15
_JGE = 0x35
_JSET = 0x45
_RET = 0x06
# seccomp return values (linux/seccomp.h).
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_RET_KILL_PROCESS = 0x80000000
_EPERM = 1
_ENOSYS = 38
# struct seccomp_data offsets.
_NR = 0
_ARCH = 4
_ARG0 = 16  # low 32 bits of args[0] on little-endian machines

_AF_UNIX = 1
_AF_VSOCK = 40
_CLONE_NEWUSER = 0x10000000
_X32_SYSCALL_BIT = 0x40000000


@dataclass(frozen=True, slots=True)
class _Arch:
    audit_arch: int
    socket: int
    clone: int
    unshare: int
    clone3: int
    denied: tuple[int, ...]  # ptrace, process_vm_readv/writev, io_uring_setup/enter/register
    x32_bit: bool


_ARCHES = {
    "x86_64": _Arch(0xC000003E, 41, 56, 272, 435, (101, 310, 311, 425, 426, 427), True),
    "aarch64": _Arch(0xC00000B7, 198, 220, 97, 435, (117, 270, 271, 425, 426, 427), False),
}
_ARCH_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}


class UnsupportedArchitecture(Exception):
    """No filter is known for this CPU architecture."""


def seccomp_filter(machine: str | None = None) -> bytes:
    """The filter for *machine* (default: this one) as an array of ``struct sock_filter``."""
    machine = (machine or platform.machine()).lower()
    arch = _ARCHES.get(_ARCH_ALIASES.get(machine, machine))
    if arch is None:
        raise UnsupportedArchitecture(
            f"no seccomp filter for the {machine} architecture (supported: {', '.join(_ARCHES)})"
        )
    return _assemble(_program(arch))


# A program is a list of instructions; a jump names labels, resolved by _assemble.
_Insn = tuple[int, str | None, str | None, int]


def _program(arch: _Arch) -> list[_Insn | str]:
    prog: list[_Insn | str] = [
        (_LD_W_ABS, None, None, _ARCH),
        (_JEQ, None, "kill", arch.audit_arch),
        (_LD_W_ABS, None, None, _NR),
    ]
    if arch.x32_bit:
        prog.append((_JGE, "kill", None, _X32_SYSCALL_BIT))
    prog += [(_JEQ, "eperm", None, nr) for nr in arch.denied]
    prog += [
        (_JEQ, "enosys", None, arch.clone3),
        (_JEQ, "socket", None, arch.socket),
        (_JEQ, "namespaces", None, arch.unshare),
        (_JEQ, "namespaces", None, arch.clone),
        (_RET, None, None, _RET_ALLOW),
        "socket",
        (_LD_W_ABS, None, None, _ARG0),
        (_JEQ, "eperm", None, _AF_UNIX),
        (_JEQ, "eperm", None, _AF_VSOCK),
        (_RET, None, None, _RET_ALLOW),
        "namespaces",
        (_LD_W_ABS, None, None, _ARG0),
        (_JSET, "eperm", None, _CLONE_NEWUSER),
        (_RET, None, None, _RET_ALLOW),
        "eperm",
        (_RET, None, None, _RET_ERRNO | _EPERM),
        "enosys",
        (_RET, None, None, _RET_ERRNO | _ENOSYS),
        "kill",
        (_RET, None, None, _RET_KILL_PROCESS),
    ]
    return prog


def _assemble(prog: list[_Insn | str]) -> bytes:
    labels: dict[str, int] = {}
    insns: list[_Insn] = []
    for item in prog:
        if isinstance(item, str):
            labels[item] = len(insns)
        else:
            insns.append(item)
    out = bytearray()
    for index, (code, true_label, false_label, k) in enumerate(insns):
        # A jump offset counts instructions after the next one; None falls through.
        jt = labels[true_label] - index - 1 if true_label else 0
        jf = labels[false_label] - index - 1 if false_label else 0
        out += struct.pack("=HBBI", code, jt, jf, k)
    return bytes(out)
