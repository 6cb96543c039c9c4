"""What a build depends on, as content hashes: the check that lets an unchanged briefing be left alone.

An executed notebook depends on the notebook, the library (every file of ``healthgap/``), the data it
reads and its parameters (``as_of``); the page depends on every executed notebook, in order. Each is a
SHA-256 of the bytes involved. A build records them in ``<out>/.healthgap/manifest.json``; the next build
re-runs only the notebooks whose key changed, and does nothing when the page's key is unchanged and the
published briefing is still the one it wrote.

This module imports the standard library only, so the "nothing to do" answer costs almost nothing.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Sequence
from pathlib import Path

from healthgap.read.digests import digest_files, file_digest, library_digest  # noqa: F401  (re-exported)

STATE_DIR = ".healthgap"
MANIFEST = "manifest.json"
DATA_SUFFIXES = (".csv", ".toml", ".md", ".json")


def data_files(data_dir: Path) -> list[Path]:
    """The files a data directory's briefing reads: its tables and configuration at the top level, and,
    for an analyst's series, every file its ``briefing.toml`` names (where they live)."""
    data_dir = Path(data_dir)
    files = [p for p in data_dir.iterdir() if p.is_file() and p.suffix in DATA_SUFFIXES]
    config = data_dir / "briefing.toml"
    if config.is_file():
        try:
            raw = tomllib.loads(config.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            raw = {}
        for table in raw.get("files", {}).values():
            path = data_dir / str(table.get("path", ""))
            if isinstance(table, dict) and path.is_file():
                files.append(path)
        group = raw.get("group", {})
        if isinstance(group, dict) and group.get("path") and (data_dir / group["path"]).is_file():
            files.append(data_dir / group["path"])
    return sorted(set(files))


def notebook_key(section: str, notebook: Path, data_digest: str, library: str, as_of: str | None) -> str:
    """The key of one executed notebook: its section, the notebook's bytes, the data, the library and the
    parameters."""
    digest = hashlib.sha256()
    for part in (section.encode(), Path(notebook).name.encode(), Path(notebook).read_bytes(), data_digest.encode(),
                 library.encode(), str(as_of).encode()):
        digest.update(part + b"\0")
    return digest.hexdigest()


def keys(planned: Sequence[tuple[str, Path]], data_dir: Path, as_of: str | None) -> tuple[dict[str, str], str]:
    """Each section's key (by name) and the page's key (all of them, in order)."""
    data_digest = digest_files(data_files(data_dir), Path(data_dir))
    library = library_digest()
    found = {name: notebook_key(name, Path(n), data_digest, library, as_of) for name, n in planned}
    page = hashlib.sha256("\0".join(f"{name}={key}" for name, key in found.items()).encode()).hexdigest()
    return found, page


def manifest_path(out_dir: Path) -> Path:
    return Path(out_dir) / STATE_DIR / MANIFEST


def load_manifest(out_dir: Path) -> dict:
    path = manifest_path(out_dir)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def save_manifest(out_dir: Path, manifest: dict) -> None:
    """Write the manifest atomically (a new file renamed over the old one)."""
    path = manifest_path(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    temporary.replace(path)


def up_to_date(out_dir: Path, page: str, briefing: Path) -> bool:
    """Whether the published briefing is the one the manifest records for this page key."""
    manifest = load_manifest(out_dir)
    if manifest.get("page") != page or not Path(briefing).is_file():
        return False
    return manifest.get("briefing_sha256") == file_digest(briefing)
