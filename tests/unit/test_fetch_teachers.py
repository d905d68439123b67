"""GenDD_cifar/sh/fetch_pretrained_teachers.sh against a loopback HTTP server.

The server hands out teacher files synthesized in the public key layouts (as {"model": sd}),
either one by one (the original address layout) or in a tar laid out like the mdistiller
release archive; it honours ``Range: bytes=N-`` and records every request."""
import functools
import hashlib
import io
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch
from helpers.reference_keys import REFERENCE_KEYS, ROOT, read_key_layout, synthesize_state_dict

from gendd_cifar import fetch_url
from gendd_cifar.teachers import load_teacher

SCRIPT = ROOT / "GenDD_cifar" / "sh" / "fetch_pretrained_teachers.sh"
SIX = ["resnet56", "resnet110", "resnet32x4", "wrn_40_2", "vgg13", "ResNet50"]
SMALL = ["resnet56", "wrn_40_2"]
CKPT = "ckpt_epoch_240.pth"
BN_BUFFERS = ("running_mean", "running_var", "num_batches_tracked")
DOWNLOADERS = ["curl", "wget", "python"]


@functools.lru_cache(maxsize=None)
def teacher_bytes(arch: str) -> bytes:
    layout = read_key_layout(REFERENCE_KEYS / "cifar" / f"{arch}.txt")
    buf = io.BytesIO()
    torch.save({"model": synthesize_state_dict(layout, seed=len(arch))}, buf)
    return buf.getvalue()


def expected_parameters(arch: str) -> int:
    """Learnable scalars of the public layout: every tensor but the BatchNorm statistics."""
    layout = read_key_layout(REFERENCE_KEYS / "cifar" / f"{arch}.txt")
    return sum(math.prod(shape) for key, (shape, _) in layout.items() if not key.endswith(BN_BUFFERS))


def release_tar(archs, top: str = "cifar_teachers/") -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for arch in archs:
            data = teacher_bytes(arch)
            info = tarfile.TarInfo(f"{top}{arch}_vanilla/{CKPT}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


class _RangeHandler(BaseHTTPRequestHandler):
    """GET of ``server.routes``; honours ``Range: bytes=N-`` when ``server.honours_ranges``;
    announces the full length but closes after ``server.cut_after`` bytes when that is set."""

    def do_GET(self):
        self.server.requests.append((self.path, self.headers.get("Range")))
        body = self.server.routes.get(self.path)
        if body is None:
            self.send_error(404)
            return
        start, wanted = 0, self.headers.get("Range")
        if wanted and self.server.honours_ranges:
            start = int(re.fullmatch(r"bytes=(\d+)-", wanted).group(1))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        end = len(body) if self.server.cut_after is None else start + self.server.cut_after
        self.wfile.write(body[start:end])
        self.close_connection = end < len(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    httpd.routes, httpd.requests, httpd.honours_ranges, httpd.cut_after = {}, [], True, None
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_fetch(save_dir, **env):
    """Run the real script; ``env`` entries override the sources (None removes a variable)."""
    full = {"PATH": os.environ["PATH"], "PYTHON": sys.executable, "TEACHER_DIR": str(save_dir),
            "TEACHER_ARCHIVE_URL": "", "TEACHER_ORIGIN_URL": ""}
    full.update({k: v for k, v in env.items() if v is not None})
    return subprocess.run(["bash", str(SCRIPT)], cwd=SCRIPT.parents[1], env=full, capture_output=True,
                          text=True, timeout=300)


def dest(save_dir, arch):
    return save_dir / f"{arch}_vanilla" / CKPT


def assert_installed(save_dir, archs, result):
    assert result.returncode == 0, result.stdout + result.stderr
    for arch in archs:
        path = dest(save_dir, arch)
        assert path.read_bytes() == teacher_bytes(arch)
        load_teacher(path, arch)
        count = expected_parameters(arch)
        assert re.search(rf"\[fetch\] {arch}: verified, .*\({count:,} parameters", result.stdout), result.stdout
    assert not list(save_dir.rglob("*.part")) and not list(save_dir.glob("*.tar"))


BLOB = bytes(range(256)) * 4000


def test_python_downloader_resumes_with_a_range_request(server, tmp_path):
    server.routes["/blob"] = BLOB
    part = tmp_path / "blob.part"
    part.write_bytes(BLOB[:1000])
    fetch_url.fetch(server.url + "/blob", part)
    assert part.read_bytes() == BLOB
    assert server.requests == [("/blob", "bytes=1000-")]


def test_python_downloader_restarts_when_the_server_ignores_ranges(server, tmp_path):
    server.routes["/blob"], server.honours_ranges = BLOB, False
    part = tmp_path / "blob.part"
    part.write_bytes(b"stale bytes of another file")
    fetch_url.fetch(server.url + "/blob", part)
    assert part.read_bytes() == BLOB


def test_python_downloader_failures_keep_the_part_and_name_their_kind(server, tmp_path):
    part = tmp_path / "blob.part"
    part.write_bytes(b"kept")
    dead = f"http://127.0.0.1:{closed_port()}/blob"
    with pytest.raises(fetch_url.Unreachable, match="cannot reach"):
        fetch_url.fetch(dead, part)
    assert fetch_url.main([dead, str(part)]) == fetch_url.EXIT_UNREACHABLE
    with pytest.raises(fetch_url.urllib.error.HTTPError) as err:
        fetch_url.fetch(server.url + "/missing", part)
    assert err.value.code == 404
    assert fetch_url.main([server.url + "/missing", str(part)]) == fetch_url.EXIT_FAILED
    assert part.read_bytes() == b"kept"


def test_python_downloader_reports_a_cut_transfer_and_resumes_it(server, tmp_path):
    server.routes["/blob"], server.cut_after = BLOB, 3000
    part = tmp_path / "blob.part"
    with pytest.raises(fetch_url.Unreachable, match="cut after 3000 of"):
        fetch_url.fetch(server.url + "/blob", part)
    assert part.read_bytes() == BLOB[:3000]
    server.cut_after = None
    fetch_url.fetch(server.url + "/blob", part)
    assert part.read_bytes() == BLOB
    assert server.requests[-1] == ("/blob", "bytes=3000-")


@pytest.mark.slow
@pytest.mark.parametrize("downloader", ["curl", "wget"])
def test_cut_download_is_kept_and_resumed_from_the_original_address(server, tmp_path, downloader):
    """Archive missing (404), so the per-file fallback: a transfer cut midway leaves the .part
    and fails; the next run continues it with a Range request. (The python downloader resumes
    the release archive in the six-teacher test.)"""
    if shutil.which(downloader) is None:
        pytest.skip(f"{downloader} is not installed")
    data = teacher_bytes("resnet56")
    server.routes[f"/repo/resnet56_vanilla/{CKPT}"] = data
    half = len(data) // 2
    server.cut_after = half
    env = {"ONLY": "resnet56", "DOWNLOADER": downloader, "TEACHER_ORIGIN_URL": server.url + "/repo",
           "TEACHER_ARCHIVE_URL": server.url + "/checkpoints/cifar_teachers.tar"}
    cut = run_fetch(tmp_path, **env)
    part = dest(tmp_path, "resnet56").with_name(CKPT + ".part")
    assert cut.returncode == 1, cut.stdout + cut.stderr
    assert f"was cut; run this script again to resume it from {part}" in cut.stderr
    assert part.read_bytes() == data[:half] and not dest(tmp_path, "resnet56").exists()

    server.cut_after = None
    result = run_fetch(tmp_path, **env)
    assert_installed(tmp_path, ["resnet56"], result)
    assert server.requests[-2:] == [("/checkpoints/cifar_teachers.tar", None),
                                    (f"/repo/resnet56_vanilla/{CKPT}", f"bytes={half}-")]
    assert f"resuming {part} from {half} bytes" in result.stdout


@pytest.mark.parametrize("downloader", DOWNLOADERS)
def test_unreachable_sources_say_offline_and_fail(tmp_path, downloader):
    if downloader != "python" and shutil.which(downloader) is None:
        pytest.skip(f"{downloader} is not installed")
    dead = f"http://127.0.0.1:{closed_port()}"
    result = run_fetch(tmp_path, DOWNLOADER=downloader, TEACHER_ARCHIVE_URL=dead + "/cifar_teachers.tar",
                       TEACHER_ORIGIN_URL=dead + "/repo")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "this machine is offline" in result.stderr
    assert "TEACHER_MIRROR" in result.stderr
    for arch in SIX:
        assert f"  {dest(tmp_path, arch)}\n" in result.stderr
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.mark.slow
def test_corrupt_or_wrong_downloads_are_removed_and_reported(server, tmp_path):
    """Via TEACHER_MIRROR as a base URL: garbage bytes, and a resnet56 file served as wrn_40_2."""
    server.routes[f"/mirror/resnet56_vanilla/{CKPT}"] = b"<html>not a checkpoint</html>" * 100
    server.routes[f"/mirror/wrn_40_2_vanilla/{CKPT}"] = teacher_bytes("resnet56")
    result = run_fetch(tmp_path, ONLY=" ".join(SMALL), TEACHER_MIRROR=server.url + "/mirror/")
    assert result.returncode == 1, result.stdout + result.stderr
    for arch in SMALL:
        assert f"[fetch] {arch}: the downloaded file is corrupt or not a {arch} teacher" in result.stderr
        assert f"  {dest(tmp_path, arch)}\n" in result.stderr
    assert "offline" not in result.stderr
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.mark.slow
def test_local_mirror_folder_and_archive(tmp_path):
    """A folder with one top folder; then a local .tar with none, replacing a corrupt file in place."""
    folder = tmp_path / "unpacked" / "cifar_teachers"
    for arch in SMALL:
        (folder / f"{arch}_vanilla").mkdir(parents=True)
        (folder / f"{arch}_vanilla" / CKPT).write_bytes(teacher_bytes(arch))
    save_a = tmp_path / "a"
    assert_installed(save_a, SMALL, run_fetch(save_a, ONLY=" ".join(SMALL), TEACHER_MIRROR=str(folder.parent)))

    archive = tmp_path / "teachers.tar"
    archive.write_bytes(release_tar(["resnet56"], top=""))
    save_b = tmp_path / "b"
    bad = dest(save_b, "resnet56")
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"garbage")
    result = run_fetch(save_b, ONLY="resnet56", TEACHER_MIRROR=str(archive))
    assert_installed(save_b, ["resnet56"], result)
    assert bad.with_name(CKPT + ".corrupt").read_bytes() == b"garbage"
    assert "moved aside" in result.stderr
    assert archive.exists()


@pytest.mark.slow
def test_all_six_teachers_from_a_resumed_release_archive_then_a_rerun_skips_them(server, tmp_path):
    """The python downloader continues a third of the archive; the rerun asks the server nothing."""
    archive = release_tar(["resnet8"] + SIX)
    server.routes["/checkpoints/cifar_teachers.tar"] = archive
    url = server.url + "/checkpoints/cifar_teachers.tar"
    third = len(archive) // 3
    local_name = hashlib.sha256(url.encode()).hexdigest()[:12] + "-cifar_teachers.tar"
    (tmp_path / (local_name + ".part")).write_bytes(archive[:third])
    env = {"DOWNLOADER": "python", "TEACHER_ARCHIVE_URL": url}
    first = run_fetch(tmp_path, **env)
    assert_installed(tmp_path, SIX, first)
    assert f"all 6 teachers are in place under {tmp_path}" in first.stdout
    assert server.requests == [("/checkpoints/cifar_teachers.tar", f"bytes={third}-")]
    assert not (tmp_path / "resnet8_vanilla").exists()

    second = run_fetch(tmp_path, **env)
    assert second.returncode == 0, second.stderr
    for arch in SIX:
        assert f"[fetch] {arch}: {dest(tmp_path, arch)} already in place and loads" in second.stdout
        assert f"({expected_parameters(arch):,} parameters); skipped" in second.stdout
    assert len(server.requests) == 1


def test_unknown_teacher_in_only_is_refused(tmp_path):
    result = run_fetch(tmp_path, ONLY="resnet56 resnet57")
    assert result.returncode == 1
    assert "ONLY names 'resnet57'" in result.stderr
