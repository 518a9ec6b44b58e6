"""``-f`` attachments through the real ``polly``: each kind as the provider receives it, and
a clear error for each kind of file that cannot be attached."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.cli.conftest import FakeProvider
from tests.cli.polly import Polly, text_reply
from tests.fakes.loopback import Reply

IMAGES = {
    "pic.png": (b"\x89PNG\r\n\x1a\n" + bytes(24), "image/png"),
    "pic.jpg": (b"\xff\xd8\xff\xe0" + bytes(24), "image/jpeg"),
    "anim.gif": (b"GIF89a" + bytes(24), "image/gif"),
    "pic.webp": (b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(16), "image/webp"),
}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def test_every_kind_reaches_the_model(polly: Polly, provider: FakeProvider) -> None:
    folder = polly.home / "files"
    folder.mkdir()
    (folder / "notes.txt").write_text("première ligne\n", encoding="utf-8")
    for name, (data, _) in IMAGES.items():
        (folder / name).write_bytes(data)
    (folder / "report").write_bytes(PDF)  # the kind comes from the content, not the name
    provider.files["/files/remote.md"] = Reply(
        200, {"content-type": "text/markdown"}, [b"# Remote\n"], chunked=False
    )
    provider.reply(text_reply("seen"))
    files = ["notes.txt", *IMAGES, "report"]
    args = [arg for name in files for arg in ("-f", str(folder / name))]
    result = polly.run("-p", "Describe these.", *args, "-f", provider.url + "/files/remote.md")
    assert result.code == 0, result.stderr

    content = provider.last["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "Describe these."}
    assert content[1] == {
        "type": "text",
        "text": '<file name="notes.txt">\npremière ligne\n</file>',
    }
    position = 2
    for name, (data, mime) in IMAGES.items():
        assert content[position] == {"type": "text", "text": f"[image: {name}]"}
        assert content[position + 1]["type"] == "image_url"
        assert content[position + 1]["image_url"]["url"] == _data_url(data, mime)
        position += 2
    assert content[position] == {
        "type": "file",
        "file": {"filename": "report", "file_data": _data_url(PDF, "application/pdf")},
    }
    assert content[position + 1] == {
        "type": "text", "text": '<file name="remote.md">\n# Remote\n</file>'
    }  # fmt: skip


def _write(folder: Path, case: str) -> str:
    path = folder / case
    if case == "a-directory":
        path.mkdir()
    elif case == "binary.bin":
        path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(64))
    elif case == "big.txt":
        path.write_bytes(b"x" * (1024 * 1024 + 1))
    elif case == "huge.iso":
        with path.open("wb") as handle:  # sparse: 40 MiB on paper, nothing on disk
            handle.truncate(40 * 1024 * 1024)
    return str(path)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("a-directory", "it is a directory; attach files in it"),
        ("missing.txt", "no such file"),
        ("binary.bin", "not UTF-8 text, PNG, JPEG, GIF, WebP or PDF"),
        ("big.txt", "1,048,577 bytes is over the 1 MiB limit for text attachments"),
        ("huge.iso", "40 MiB is larger than any attachment may be (32 MiB)"),
        ("url-404", "the server answered 404"),
    ],
)
def test_files_that_cannot_be_attached(
    polly: Polly, provider: FakeProvider, tmp_path: Path, case: str, message: str
) -> None:
    spec = provider.url + "/nothing-here" if case == "url-404" else _write(tmp_path, case)
    result = polly.run("-p", "x", "-f", spec)
    assert (result.code, result.stdout) == (1, "")
    assert result.stderr == f"Error: cannot attach {spec!r}: {message}\n"
    assert provider.requests == []  # nothing was sent
