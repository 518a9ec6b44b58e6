"""The bwrap command line (mount order, exemptions, per-field flags), the seccomp program and
the Seatbelt profile, checked as data. What they do is checked by test_attacks.py."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from pollytool.errors import SandboxSpecError
from pollytool.tools.sandbox import SandboxSpec
from pollytool.tools.sandbox._linux import bwrap_command
from pollytool.tools.sandbox._macos import seatbelt_command, seatbelt_profile
from pollytool.tools.sandbox._paths import FilesystemPlan, Mask, plan_filesystem
from pollytool.tools.sandbox._seccomp import UnsupportedArchitecture, seccomp_filter

BWRAP = "/usr/bin/bwrap"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".config" / "gh").mkdir(parents=True)
    (home / ".config" / "gh" / "hosts.yml").write_text("x")
    (home / ".netrc").write_text("x")
    (home / "kube-real").mkdir()
    (home / ".kube").symlink_to(home / "kube-real")
    (home / "work").mkdir()
    return home


def command(spec: SandboxSpec, home: Path, cwd: str = "/") -> list[str]:
    plan = plan_filesystem(spec, [str(home)])
    return bwrap_command(BWRAP, spec, plan, ["/usr/bin/tool", "--execute", "{}"], cwd)


def pairs(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == flag]


def test_the_base_flags_are_always_there(home: Path) -> None:
    argv = command(SandboxSpec(), home)
    assert argv[:3] == ["/bin/sh", "-c", '"$@" 3<"$0"; exit "$?"']
    assert argv[3].endswith("seccomp.bpf") and argv[4] == BWRAP
    for flag in (
        "--die-with-parent", "--new-session", "--unshare-user", "--unshare-pid",
        "--unshare-ipc", "--unshare-net",
    ):  # fmt: skip
        assert flag in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert argv[argv.index("--seccomp") + 1] == "3"
    assert argv[argv.index("--ro-bind") : argv.index("--ro-bind") + 3] == ["--ro-bind", "/", "/"]
    assert "/tmp" in pairs(argv, "--tmpfs")
    assert argv[-4:] == ["--", "/usr/bin/tool", "--execute", "{}"]
    assert "--setenv" not in argv and "--unsetenv" not in argv  # env is filtered in Python
    plan = plan_filesystem(SandboxSpec(), [str(home)])
    execs = bwrap_command(BWRAP, SandboxSpec(), plan, ["/x"], "/", exec_bwrap=True)
    assert execs[:3] == ["/bin/sh", "-c", 'exec "$@" 3<"$0"'] and execs[4] == BWRAP


def test_masks_come_after_writable_binds(home: Path) -> None:  # T36 regression guard
    argv = command(SandboxSpec(writable_paths=("~",)), home)
    last_bind = max(i for i, a in enumerate(argv) if a == "--bind")
    first_mask = argv.index("--tmpfs", argv.index("--tmpfs") + 1)
    assert argv[last_bind + 1] == str(home) and last_bind < first_mask


def test_credential_masks(home: Path) -> None:
    argv = command(SandboxSpec(), home)
    hidden = pairs(argv, "--tmpfs")
    assert str(home / ".ssh") in hidden
    assert str(home / "kube-real") in hidden  # a symlinked credential is masked at its target
    assert str(home / ".kube") not in hidden
    assert str(home / ".aws") not in hidden  # missing paths are left alone (no artifacts)
    netrc = argv.index(str(home / ".netrc"))
    assert argv[netrc - 2] == "--ro-bind" and argv[netrc - 1].endswith("/empty")
    assert argv[argv.index(str(home / ".ssh")) + 1 : argv.index(str(home / ".ssh")) + 3] == [
        "--remount-ro",
        str(home / ".ssh"),
    ]


def test_read_path_inside_a_hidden_directory_is_bound_before_the_remount(home: Path) -> None:
    gh, hosts = str(home / ".config" / "gh"), str(home / ".config" / "gh" / "hosts.yml")
    argv = command(SandboxSpec(read_paths=("~/.config/gh/hosts.yml",)), home)
    start = argv.index(gh) - 1
    assert argv[start : start + 7] == ["--tmpfs", gh, "--ro-bind", hosts, hosts, "--remount-ro", gh]


def test_read_path_equal_to_or_above_a_credential_unmasks_it(home: Path) -> None:
    assert str(home / ".ssh") not in command(SandboxSpec(read_paths=("~/.ssh",)), home)
    argv = command(SandboxSpec(read_paths=("~",)), home)
    assert pairs(argv, "--tmpfs") == ["/tmp"]


def test_writable_paths_must_exist_and_stay_out_of_credentials(home: Path) -> None:
    with pytest.raises(SandboxSpecError, match=r"writable path '~/missing'.*does not exist"):
        command(SandboxSpec(writable_paths=("~/missing",)), home)
    with pytest.raises(SandboxSpecError, match="inside the credential path"):
        command(SandboxSpec(writable_paths=("~/.ssh",)), home)
    argv = command(SandboxSpec(writable_paths=("~/.ssh",), read_paths=("~/.ssh",)), home)
    assert pairs(argv, "--bind") == [str(home / ".ssh")]


def test_deny_write_overrides_writable_paths(home: Path) -> None:
    argv = command(SandboxSpec(deny_write=True, writable_paths=("~/work", "~/missing")), home)
    assert "--bind" not in argv
    assert pairs(argv, "--remount-ro")[-2:] == ["/tmp", "/dev"]


def test_network_and_dns(home: Path) -> None:
    assert "--unshare-net" not in command(SandboxSpec(allow_network=True), home)
    argv = command(SandboxSpec(allow_network=True, deny_dns=True), home)
    resolv = os.path.realpath("/etc/resolv.conf")
    assert argv[argv.index(resolv) - 1].endswith("/empty")
    nsswitch = argv[argv.index(os.path.realpath("/etc/nsswitch.conf")) - 1]
    assert "hosts: files\n" in Path(nsswitch).read_text()
    assert command(SandboxSpec(deny_dns=True), home) == command(SandboxSpec(), home)


def test_program_and_cwd_under_tmp_stay_visible(tmp_path: Path) -> None:
    program = tmp_path / "tools" / "tool.sh"
    program.parent.mkdir()
    program.write_text("")
    plan = FilesystemPlan((), ())
    argv = bwrap_command(BWRAP, SandboxSpec(), plan, [str(program)], str(tmp_path))
    shown = pairs(argv, "--ro-bind")
    assert str(program.parent) in shown and str(tmp_path) in shown
    argv = bwrap_command(BWRAP, SandboxSpec(), plan, ["/usr/bin/env"], "/tmp")
    assert "/tmp" not in pairs(argv, "--ro-bind")


@pytest.mark.parametrize("machine", ["x86_64", "aarch64", "amd64", "arm64"])
def test_seccomp_program_shape(machine: str) -> None:
    program = seccomp_filter(machine)
    assert len(program) % 8 == 0
    insns = [struct.unpack("=HBBI", program[i : i + 8]) for i in range(0, len(program), 8)]
    assert insns[0] == (0x20, 0, 0, 4)  # load the architecture first
    assert insns[-1] == (0x06, 0, 0, 0x80000000)  # foreign ABI: kill
    assert (0x06, 0, 0, 0x7FFF0000) in insns and (0x06, 0, 0, 0x00050001) in insns
    for index, (code, jt, jf, _) in enumerate(insns):  # every jump lands inside the program
        if code & 0x07 == 0x05:
            assert index + 1 + max(jt, jf) < len(insns)


def test_seccomp_unknown_architecture() -> None:
    with pytest.raises(UnsupportedArchitecture, match="mips"):
        seccomp_filter("mips")


PLAN = FilesystemPlan(
    writable=('/Users/u/out "dir"',),
    masks=(
        Mask("/Users/u/.config/gh", True, ("/Users/u/.config/gh/hosts.yml",)),
        Mask("/Users/u/.netrc", False),
        Mask("/Users/u/.ssh", True),
    ),
)


def profile(spec: SandboxSpec) -> str:
    return seatbelt_profile(spec, PLAN, ["/private/tmp"])


def test_seatbelt_default_profile() -> None:
    text = profile(SandboxSpec())
    assert text.startswith("(version 1)\n(deny default)\n")
    assert text.count("(") == text.count(")")
    deny_reads = text.index("(deny file-read*")
    assert text.index("(allow file-read*)") < deny_reads
    assert '(subpath "/Users/u/.ssh")' in text and '(literal "/Users/u/.netrc")' in text
    assert (
        text.index('(allow file-read*\n  (subpath "/Users/u/.config/gh/hosts.yml"))') > deny_reads
    )
    writes = text.index("(allow file-write*")
    assert '(subpath "/private/tmp")' in text[writes:]
    assert '(subpath "/Users/u/out \\"dir\\"")' in text[writes:]
    assert text.index("(deny file-write*") > writes  # credentials stay read-only
    assert "network-outbound)" not in text and "(allow network" not in text


def test_seatbelt_network_and_dns() -> None:
    text = profile(SandboxSpec(allow_network=True))
    assert "(allow network-outbound)" in text
    assert "(deny network-outbound (remote unix-socket))" in text
    assert '"*:53"' not in text
    text = profile(SandboxSpec(allow_network=True, deny_dns=True))
    assert text.index('(remote udp "*:53")') > text.index("(allow network-outbound)")
    assert '(literal "/private/var/run/mDNSResponder")' in text
    assert profile(SandboxSpec(deny_dns=True)) == profile(SandboxSpec())


def test_seatbelt_deny_write() -> None:
    text = profile(SandboxSpec(deny_write=True, writable_paths=("/x",)))
    assert "(allow file-write*" not in text
    assert '(allow file-write-data (literal "/dev/null")' in text


def test_seatbelt_command() -> None:
    argv = seatbelt_command("/usr/bin/sandbox-exec", SandboxSpec(), PLAN, ["tool", "-x"], "/tmp")
    assert argv[:2] == ["/usr/bin/sandbox-exec", "-p"] and argv[3:] == ["tool", "-x"]
    assert f'(subpath "{os.path.realpath("/tmp")}")' in argv[2]
