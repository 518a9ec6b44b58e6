"""Fixtures for attacking the sandbox: a fake home full of fake credentials for root and for
an unprivileged account, host listeners to reach for, and a runner that starts a shell
snippet inside a sandbox as that account.

Fake homes live under /var/tmp: inside the sandbox /tmp is private, so credentials under /tmp
would be hidden whether the masks work or not. Root gets its own root-owned home: files of
another account would be unreadable to root without capabilities anyway, which would make a
missing mask look effective.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest

from pollytool.tools.sandbox import CREDENTIAL_PATHS, SandboxSpec, sandboxed_command
from tests.sandbox.helpers import require, require_bwrap

DATA = Path(__file__).parent / "data"
ACCOUNT = "pollytool-sbx"
SYSTEM_PYTHON = "/usr/bin/python3"
#: Credential paths that are files; the others are directories.
CREDENTIAL_FILES = {
    "~/.docker/config.json", "~/.npmrc", "~/.pypirc", "~/.gem/credentials",
    "~/.cargo/credentials", "~/.cargo/credentials.toml", "~/.netrc", "~/.git-credentials",
}  # fmt: skip
SECRET_ENV = {"POLLYTOOL_OPENAIKEY": "sk-FAKE-POLLY-SECRET-0001", "GITHUB_TOKEN": "FAKE-GH-0002"}


@pytest.fixture(scope="session")
def shared_dir() -> Iterator[Path]:
    """A directory every account can read, outside /tmp, holding the probe script."""
    require_bwrap()
    path = Path(tempfile.mkdtemp(prefix="pollytool-sbx-", dir="/var/tmp"))
    path.chmod(0o755)
    shutil.copy(DATA / "probe.py", path / "probe.py")
    (path / "probe.py").chmod(0o644)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def unprivileged_account() -> Iterator[tuple[int, int]]:
    """(uid, gid) of an unprivileged account: this one when not root; as root an account
    created for the tests (and removed afterwards)."""
    if os.geteuid() != 0:
        yield os.getuid(), os.getgid()
        return
    created = False
    try:
        entry = pwd.getpwnam(ACCOUNT)
    except KeyError:
        require(shutil.which("useradd") is not None, "useradd is missing")
        subprocess.run(
            ["useradd", "--no-create-home", "--shell", "/bin/sh", ACCOUNT],
            check=True, capture_output=True,
        )  # fmt: skip
        created = True
        entry = pwd.getpwnam(ACCOUNT)
    yield entry.pw_uid, entry.pw_gid
    if created:
        subprocess.run(["userdel", ACCOUNT], check=False, capture_output=True)


@pytest.fixture(scope="session")
def listeners(shared_dir: Path) -> Iterator[dict[str, Any]]:
    """Host listeners (TCP and UDP on 127.0.0.1, a pathname and an abstract Unix socket),
    each checked from the host first."""
    abstract = f"pollytool-sbx-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [sys.executable, str(DATA / "listeners.py"), str(shared_dir / "host.sock"), abstract],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    addresses: dict[str, Any] = json.loads(process.stdout.readline())
    for kind in ("tcp", "udp", "unix", "abstract"):
        target = str(addresses[kind])
        done = subprocess.run(
            [sys.executable, str(DATA / "probe.py"), kind, target],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0 and "REACHED" in done.stdout, (kind, done.stdout)
    yield addresses
    process.stdin.close()
    process.wait(timeout=10)


@dataclass
class Outcome:
    """How an attack snippet ended: exit status 0 means the attack worked."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0


@dataclass
class Sandboxee:
    """An account with a fake home (credentials under every credential path, a project with
    ``allowed/`` and ``denied/`` directories) that runs snippets inside a sandbox."""

    label: str
    uid: int
    gid: int
    home: Path
    shared: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def project(self) -> Path:
        return self.home / "project"

    @property
    def python(self) -> str:
        # not sys.executable: a checkout (and its venv) under /tmp is hidden by the private /tmp
        return SYSTEM_PYTHON

    def probe(self, *args: object) -> str:
        """A shell command running the probe script with *args*."""
        quoted = " ".join(f"'{a}'" for a in args)
        return f"'{self.python}' '{self.shared / 'probe.py'}' {quoted}"

    async def command(
        self, spec: SandboxSpec | None, script: str
    ) -> tuple[list[str], dict[str, str], str]:
        cmd = await sandboxed_command(
            spec, ["/bin/sh", "-c", script], env=self.env, cwd=self.project, home=str(self.home)
        )
        return cmd.argv, cmd.env, cmd.cwd

    def as_user(self) -> dict[str, Any]:
        if self.uid == os.geteuid():
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    async def run(self, spec: SandboxSpec | None, script: str) -> Outcome:
        argv, env, cwd = await self.command(spec, script)
        done = await anyio.run_process(argv, env=env, cwd=cwd, check=False, **self.as_user())
        return Outcome(done.returncode, done.stdout.decode(), done.stderr.decode())


def _make_home(home: Path, uid: int, gid: int) -> None:
    for relative in CREDENTIAL_PATHS:
        path = home / relative.removeprefix("~/")
        if relative == "~/.kube":  # a symlinked credential directory
            real = home / "kube-real"
            real.mkdir(parents=True)
            (real / "config").write_text(f"FAKE-CRED {relative}\n")
            path.symlink_to(real)
            continue
        if relative in CREDENTIAL_FILES:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"FAKE-CRED {relative}\n")
        else:
            path.mkdir(parents=True)
            (path / "secret").write_text(f"FAKE-CRED {relative}\n")
    (home / ".ssh" / "id_rsa").write_text("FAKE-CRED ~/.ssh/id_rsa\n")
    (home / ".config" / "gh" / "hosts.yml").write_text("FAKE-CRED gh hosts.yml\n")
    (home / ".bashrc").write_text("# bashrc\n")
    for sub in ("project/allowed", "project/denied"):
        (home / sub).mkdir(parents=True)
    for root, dirs, files in os.walk(home):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), uid, gid)
    os.chown(home, uid, gid)
    home.chmod(0o700)


@pytest.fixture(params=["root", "unprivileged"])
def sandboxee(
    request: pytest.FixtureRequest,
    shared_dir: Path,
    unprivileged_account: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Sandboxee]:
    """The account a case runs as, with a fresh fake home. The SDK process itself holds the
    fake secrets in its environment, so /proc/<parent>/environ attacks have something to
    find."""
    label: str = request.param
    if label == "root":
        require(os.geteuid() == 0, "the root cases need root (CI runs as root)")
        uid, gid = 0, 0
    else:
        uid, gid = unprivileged_account
        require(os.path.exists(SYSTEM_PYTHON), f"{SYSTEM_PYTHON} is missing")
    home = Path(tempfile.mkdtemp(prefix=f"home-{label}-", dir=shared_dir))
    _make_home(home, uid, gid)
    for name, value in SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "SAFE_VAR": "safe-value",
        **SECRET_ENV,
    }
    yield Sandboxee(label, uid, gid, home, shared_dir, env)
    shutil.rmtree(home, ignore_errors=True)
