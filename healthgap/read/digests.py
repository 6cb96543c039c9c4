"""Content hashes: of a file, of a set of files, of the library itself (what a cached result rests on)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

LIBRARY = Path(__file__).resolve().parents[1]
"""The library's own folder (``healthgap/``)."""


def digest_files(paths: Iterable[Path], root: Path | None = None) -> str:
    """SHA-256 over the files' names (relative to ``root``) and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        name = str(path.relative_to(root)) if root is not None else path.name
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def library_digest() -> str:
    """Every source file and template of the library (``healthgap/``; caches excluded)."""
    files = [p for p in LIBRARY.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return digest_files(files, LIBRARY)


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
