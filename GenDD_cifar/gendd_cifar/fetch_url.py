"""Resumable download with the standard library, for machines without curl or wget.

    python -m gendd_cifar.fetch_url URL PART

Continues ``PART`` from its current size N with a ``Range: bytes=N-`` request: a 206 answer
starting at N is appended; a 200 answer (a server without ranges) rewrites ``PART`` from the
start. Exit status: 0 done; 2 the host cannot be reached (DNS failure, connection refused,
time-out) or the transfer was cut (fewer bytes than announced): ``PART`` is kept for the
next try; 1 any other failure (an HTTP error such as 404, a malformed answer).
"""
from __future__ import annotations

import http.client
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_UNREACHABLE = 0, 1, 2
CHUNK_BYTES = 1 << 20


class Unreachable(OSError):
    """The network or the host is not reachable; retrying later (or elsewhere) may work."""


def _resume_offset(response, have: int) -> int:
    """Where the body of ``response`` starts in the file: ``have`` for a matching 206, else 0."""
    if have == 0 or getattr(response, "status", None) != 206:
        return 0
    content_range = response.headers.get("Content-Range", "")
    start = content_range.removeprefix("bytes ").split("-", 1)[0]
    if start != str(have):
        raise ValueError(f"asked for bytes from {have}, the server answered Content-Range {content_range!r}")
    return have


def _copy(response, out) -> int:
    """Copy the body of ``response`` to ``out``; the number of bytes copied."""
    copied = 0
    while chunk := response.read(CHUNK_BYTES):
        out.write(chunk)
        copied += len(chunk)
    return copied


def fetch(url: str, part: str | os.PathLike, timeout_s: float = 60.0) -> None:
    """Download ``url`` into ``part``, resuming from the bytes already there.

    Raises Unreachable for network failures, urllib.error.HTTPError for HTTP errors."""
    part = Path(part)
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout_s) as response:
            offset = _resume_offset(response, have)
            expected = response.headers.get("Content-Length")
            with open(part, "ab" if offset else "wb") as out:
                copied = _copy(response, out)
            if expected is not None and copied < int(expected):
                raise Unreachable(f"the transfer of {url} was cut after {copied} of {expected} bytes")
    except urllib.error.HTTPError:
        raise
    except urllib.error.URLError as err:
        if isinstance(err.reason, OSError):
            raise Unreachable(f"cannot reach {url}: {err.reason}") from err
        raise
    except (TimeoutError, ConnectionError, http.client.IncompleteRead) as err:
        raise Unreachable(f"connection to {url} failed: {err!r}") from err


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m gendd_cifar.fetch_url URL PART", file=sys.stderr)
        return EXIT_FAILED
    url, part = argv
    try:
        fetch(url, part)
    except Unreachable as err:
        print(f"fetch_url: {err}", file=sys.stderr)
        return EXIT_UNREACHABLE
    except urllib.error.HTTPError as err:
        print(f"fetch_url: {url}: HTTP {err.code} {err.reason}", file=sys.stderr)
        return EXIT_FAILED
    except (OSError, ValueError, http.client.HTTPException) as err:
        print(f"fetch_url: {url}: {err}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
