"""The LibriSpeech download against a local HTTP server: a small archive in OpenSLR's layout is
fetched, continued after an interruption, checked against its SHA-256, and refused in one line when
it is damaged or holds a member that would land outside the target folder."""

import hashlib
import io
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from asr.data.librispeech import download_librispeech, prepare_librispeech
from asr.errors import UserError

SUBSET = "dev-tiny"


def _archive(extra: dict[str, bytes] | None = None, link: tuple[str, str] | None = None) -> bytes:
    """A tar.gz of LibriSpeech/dev-tiny/1/2 with three one-second FLACs and their transcript."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))

        lines = []
        for utt in range(3):
            audio = io.BytesIO()
            sf.write(audio, 0.1 * np.sin(np.arange(16000) * 0.05 * (utt + 1)), 16000, format="FLAC")
            add(f"LibriSpeech/{SUBSET}/1/2/1-2-000{utt}.flac", audio.getvalue())
            lines.append(f"1-2-000{utt} WORD NUMBER {utt}")
        add(f"LibriSpeech/{SUBSET}/1/2/1-2.trans.txt", ("\n".join(lines) + "\n").encode())
        for name, data in (extra or {}).items():
            add(name, data)
        if link:
            info = tarfile.TarInfo(link[0])
            info.type, info.linkname = tarfile.SYMTYPE, link[1]
            tar.addfile(info)
    return buffer.getvalue()


@pytest.fixture
def server():
    """Serves `files` (name -> bytes) on 127.0.0.1, honouring byte ranges; records the Range headers."""
    files: dict[str, bytes] = {}
    ranges: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            data = files.get(self.path.lstrip("/"))
            if data is None:
                self.send_error(404)
                return
            asked = self.headers.get("Range")
            ranges.append(asked)
            start = int(asked.split("=")[1].split("-")[0]) if asked else 0
            self.send_response(206 if asked else 200)
            self.send_header("Content-Length", str(len(data) - start))
            self.end_headers()
            self.wfile.write(data[start:])

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", files, ranges
    httpd.shutdown()


def test_download_checks_the_checksum_and_extracts(server, tmp_path: Path) -> None:
    url, files, _ = server
    files[f"{SUBSET}.tar.gz"] = data = _archive()
    subset = download_librispeech(SUBSET, tmp_path, base_url=url, sha256=hashlib.sha256(data).hexdigest())
    assert len(list(subset.glob("*/*/*.flac"))) == 3
    assert prepare_librispeech(tmp_path, tmp_path / "out")[SUBSET].written == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["LibriSpeech", "out"]


def test_an_interrupted_download_continues_where_it_stopped(server, tmp_path: Path) -> None:
    url, files, ranges = server
    files[f"{SUBSET}.tar.gz"] = data = _archive()
    (tmp_path / f"{SUBSET}.tar.gz.part").write_bytes(data[:1000])  # what a killed download left
    download_librispeech(SUBSET, tmp_path, base_url=url, sha256=hashlib.sha256(data).hexdigest())
    assert ranges == ["bytes=1000-"]
    assert len(list((tmp_path / "LibriSpeech" / SUBSET).glob("*/*/*.flac"))) == 3


def test_a_damaged_archive_is_refused_in_one_line(server, tmp_path: Path) -> None:
    url, files, _ = server
    good = _archive()
    files[f"{SUBSET}.tar.gz"] = good[:-200] + bytes(200)
    with pytest.raises(UserError, match="checksum mismatch") as err:
        download_librispeech(SUBSET, tmp_path, base_url=url, sha256=hashlib.sha256(good).hexdigest())
    assert "\n" not in str(err.value)
    assert not (tmp_path / "LibriSpeech").exists() and not (tmp_path / f"{SUBSET}.tar.gz").exists()
    with pytest.raises(UserError, match="cannot extract"):  # without a checksum, gzip itself notices
        download_librispeech(SUBSET, tmp_path / "again", base_url=url)


@pytest.mark.parametrize("escape", ["member", "link"])
def test_a_member_that_escapes_the_target_is_refused(escape: str, server, tmp_path: Path) -> None:
    url, files, _ = server
    files[f"{SUBSET}.tar.gz"] = _archive(extra={f"LibriSpeech/{SUBSET}/../../../escaped.txt": b"x"}) \
        if escape == "member" else _archive(link=(f"LibriSpeech/{SUBSET}/1/2/evil", "/etc/passwd"))
    dest = tmp_path / "corpora"
    with pytest.raises(UserError, match="cannot extract") as err:
        download_librispeech(SUBSET, dest, base_url=url)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "escaped.txt").exists() and not (dest / "LibriSpeech").exists()
