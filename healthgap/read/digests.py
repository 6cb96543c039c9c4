"""Content hashes: of a file, of a set of files, of the library itself (what a cached result rests on).

Files are read in blocks, so hashing a large export costs time but not memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[1]
"""The library's own folder (``healthgap/``)."""

BLOCK = 1 << 20


def _update(digest, path: Path) -> None:
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)


def digest_files(paths: Iterable[Path], root: Path | None = None) -> str:
    """SHA-256 over the files' names (relative to ``root``) and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        name = str(path.relative_to(root)) if root is not None else path.name
        digest.update(name.encode() + b"\0")
        _update(digest, path)
        digest.update(b"\0")
    return digest.hexdigest()


def library_digest() -> str:
    """Every source file and template of the library (``healthgap/``; caches excluded)."""
    files = [p for p in LIBRARY.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return digest_files(files, LIBRARY)


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes, in hexadecimal."""
    digest = hashlib.sha256()
    _update(digest, path)
    return digest.hexdigest()
