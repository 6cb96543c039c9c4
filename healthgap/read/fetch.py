"""Fetching Fingertips data by indicator and area type, kept exactly as it came, with where it came from.

Fingertips (OHID, https://fingertips.phe.org.uk/) serves its data through a public JSON and CSV API, documented
at https://fingertips.phe.org.uk/api. The endpoints used here are the ones DHSC's Python client
(``fingertips_py``) and rOpenSci's R client (``fingertipsR``) call, with the parameters and response shapes their
sources use:

* ``all_data/csv/by_indicator_id?indicator_ids=N[,N...]&child_area_type_id=A&parent_area_type_id=P``: every value
  of the indicators for the areas of type ``A`` with their parents of type ``P`` (15, England, by default, as
  ``fingertips_py.get_data_by_indicator_ids``), as the CSV the site's "download data" gives: the layout
  ``fingertips-export`` of :mod:`healthgap.read.layouts`.
* ``available_data?indicator_id=N``: ``[{"IndicatorId": N, "AreaTypeId": A}, ...]``, the area types that hold the
  indicator (``fingertipsR::indicator_areatypes``, ``fingertips_py.get_all_areas_for_all_indicators``).
* ``area_types``: ``[{"Id": A, "Name": "...", "Short": "..."}, ...]`` (``fingertips_py.get_all_areas``).
* ``indicator_search?search_text=WORDS``: ``{"<area type id>": [indicator ids], ...}``, the indicators whose
  metadata match, by the area types that hold them (the Fingertips site's own search).
* ``indicator_metadata/by_indicator_id?indicator_ids=N[,N...]``: ``{"<N>": {"IID": N, "Descriptive": {"Name":
  "..."}, "DataChange": {"LastUploadedAt": "..."}}, ...}`` (``fingertips_py.get_metadata_for_indicator``,
  ``fingertipsR::indicator_update_information``).

Why not ``fingertips_py``: it returns pandas frames parsed from the CSV, not the bytes Fingertips sent, so the
file could not be kept byte for byte nor its sha256 recorded; it retries nothing, sets no timeout, and on a TLS
error it quietly retries with certificate checks turned off. The few requests needed here are made with the
standard library (:mod:`urllib.request`), which adds no dependency: a timeout on connecting and on each wait for
data, retries with exponential back-off on what may pass (no connection, a timeout, a response cut short, HTTP
429 and 5xx), and one-line :class:`FetchError` for everything else.

What a fetch writes, and only when everything has arrived and is the expected CSV (:func:`fetch`): the file,
written under a temporary name in the data folder and renamed into place, and its record, a ``[files.<key>]``
table (path, layout, source, URL, licence, the retrieval date as ``published``, sha256), appended as text to the
folder's own-data ``briefing.toml`` (comments and all kept), or, where the folder has none, written beside the
file as ``<key>.source.toml`` to be pasted into one. A fetch that fails leaves the folder as it was.
"""

from __future__ import annotations

import csv
import hashlib
import http.client
import io
import json
import os
import re
import socket
import tempfile
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from healthgap.read.layouts import normalise_period

API = "https://fingertips.phe.org.uk/api/"
"""Fingertips' API root (its documentation: https://fingertips.phe.org.uk/api)."""

LICENCE = "Open Government Licence v3.0"
"""Fingertips' data are published under the Open Government Licence v3.0."""

ENGLAND = 15
"""Fingertips' area type of England, the default parent area type (as the clients' default)."""

EXPORT_COLUMNS = (
    "Indicator ID", "Indicator Name", "Area Code", "Area Name", "Area Type", "Sex", "Age", "Category Type",
    "Category", "Time period", "Value", "Lower CI 95.0 limit", "Upper CI 95.0 limit", "Count", "Denominator",
)
"""The columns of a Fingertips export that the ``fingertips-export`` reader needs."""

CONFIG_NAME = "briefing.toml"
KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
USER_AGENT = "healthgap-fetch"


class FetchError(ValueError):
    """A fetch that failed, said in one line: what was asked for, what happened, and what was expected."""


@dataclass(frozen=True)
class Client:
    """How requests are made: the API root (default :data:`API`), the timeout in seconds (on connecting and on
    each wait for data), the retries after a failure that may pass, the first back-off in seconds (doubled at
    each retry) and how to wait (default :func:`time.sleep`)."""

    api: str | None = None
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 1.0
    sleep: Callable[[float], None] | None = field(default=None, repr=False)

    def url(self, endpoint: str, **query: object) -> str:
        """The URL of an endpoint with its query parameters, in the order given."""
        text = urllib.parse.urlencode({k: v for k, v in query.items() if v is not None}, safe=",",
                                      quote_via=urllib.parse.quote)
        return urllib.parse.urljoin(self.api or API, endpoint) + (f"?{text}" if text else "")

    def get(self, url: str) -> bytes:
        """The body of ``url``, as the server sent it; retried with back-off on failures that may pass.

        Raises :class:`FetchError` for an HTTP error other than 429 and 5xx at once, and for any failure once
        the retries are spent, naming the URL, what happened and the number of attempts."""
        reason = ""
        for attempt in range(self.retries + 1):
            wait = self.backoff * 2 ** attempt
            try:
                request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read()
            except urllib.error.HTTPError as error:
                reason = f"HTTP {error.code} {error.reason}".strip()
                if error.code != 429 and error.code < 500:
                    raise FetchError(f"{url}: Fingertips answered {reason}") from None
                wait = max(wait, _retry_after(error.headers.get("Retry-After")))
            except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
                reason = _describe(error, self.timeout)
            if attempt < self.retries:
                (self.sleep or time.sleep)(wait)
        attempts = self.retries + 1
        raise FetchError(f"could not fetch {url}: {reason} ({attempts} attempt{'s' if attempts != 1 else ''})")

    def json(self, endpoint: str, **query: object) -> object:
        """The JSON an endpoint returns, parsed; a body that is not JSON is a :class:`FetchError`."""
        url = self.url(endpoint, **query)
        body = self.get(url)
        try:
            return json.loads(body.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise FetchError(f"{url}: expected JSON, got {_glimpse(body)}") from None


def _retry_after(value: str | None) -> float:
    """Seconds asked for by a ``Retry-After`` header given in seconds (at most a minute); 0 otherwise."""
    try:
        return min(max(float(value or 0), 0.0), 60.0)
    except ValueError:
        return 0.0


def _describe(error: BaseException, timeout: float) -> str:
    """What went wrong with a request, in a few words."""
    cause = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(cause, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g} s"
    if isinstance(cause, http.client.IncompleteRead):
        got = len(cause.partial)
        return f"the response was cut short ({got} bytes{f' of {got + cause.expected}' if cause.expected else ''})"
    if isinstance(cause, socket.gaierror):
        return f"no network or unknown host ({cause.strerror or cause})"
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, (ConnectionError, http.client.RemoteDisconnected)):
        return "the connection was closed before the response was complete"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror
    return " ".join(str(cause).split()) or type(cause).__name__


def _glimpse(body: bytes) -> str:
    if not body:
        return "an empty response"
    text = " ".join(body[:60].decode("utf-8", errors="replace").split())
    return f"{text!r}{'...' if len(body) > 60 else ''}"


# --- metadata -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AreaType:
    id: int
    name: str
    short: str

    def label(self) -> str:
        return f"{self.id} ({self.name})"


@dataclass(frozen=True)
class Indicator:
    """An indicator as ``--search`` lists it: number, name, the area types that hold it, and the date its
    data were last uploaded (Fingertips' metadata give no latest period without the data themselves)."""

    id: int
    name: str
    area_types: tuple[AreaType, ...]
    last_uploaded: str


def area_types(client: Client) -> dict[int, AreaType]:
    """Fingertips' area types by id (``area_types``)."""
    found = client.json("area_types")
    if not isinstance(found, list):
        raise FetchError(f"{client.url('area_types')}: expected a JSON list of area types")
    types = {}
    for item in found:
        if isinstance(item, dict) and isinstance(item.get("Id"), int):
            types[item["Id"]] = AreaType(item["Id"], str(item.get("Name", "")), str(item.get("Short", "")))
    return types


def _area_type(types: dict[int, AreaType], area_type_id: int) -> AreaType:
    return types.get(area_type_id, AreaType(area_type_id, "not a Fingertips area type", ""))


def available_area_types(indicator_id: int, client: Client, types: dict[int, AreaType] | None = None) -> list[AreaType]:
    """The area types that hold an indicator (``available_data?indicator_id=N``), in id order."""
    found = client.json("available_data", indicator_id=indicator_id)
    if not isinstance(found, list):
        raise FetchError(f"{client.url('available_data', indicator_id=indicator_id)}: expected a JSON list")
    types = area_types(client) if types is None else types
    ids = sorted({item["AreaTypeId"] for item in found if isinstance(item, dict) and item.get("IndicatorId") ==
                  indicator_id and isinstance(item.get("AreaTypeId"), int)})
    return [_area_type(types, i) for i in ids]


def metadata(indicator_ids: Sequence[int], client: Client) -> dict[int, dict]:
    """Each indicator's metadata (``indicator_metadata/by_indicator_id``), by id; ids Fingertips does not
    know are left out."""
    if not indicator_ids:
        return {}
    ids = ",".join(str(i) for i in indicator_ids)
    found = client.json("indicator_metadata/by_indicator_id", indicator_ids=ids)
    if not isinstance(found, dict):
        raise FetchError(f"{client.url('indicator_metadata/by_indicator_id', indicator_ids=ids)}: expected a JSON "
                         f"object of indicators")
    return {int(key): value for key, value in found.items() if str(key).isdigit() and isinstance(value, dict)}


def _name(meta: dict | None, indicator_id: int) -> str:
    name = ((meta or {}).get("Descriptive") or {}).get("Name") or ""
    return " ".join(str(name).split()) or f"indicator {indicator_id}"


def search(text: str, client: Client) -> list[Indicator]:
    """The indicators whose Fingertips metadata match ``text`` (``indicator_search``), by number, each with the
    area types that hold it and the date of its last data upload."""
    if not text.strip():
        raise FetchError("--search: expected words to look for, such as \"cardiovascular\"")
    found = client.json("indicator_search", search_text=text)
    if not isinstance(found, dict):
        raise FetchError(f"{client.url('indicator_search', search_text=text)}: expected a JSON object of area types")
    by_indicator: dict[int, set[int]] = {}
    for area_type, ids in found.items():
        if str(area_type).isdigit() and isinstance(ids, list):
            for i in ids:
                if isinstance(i, int):
                    by_indicator.setdefault(i, set()).add(int(area_type))
    if not by_indicator:
        return []
    types = area_types(client)
    meta = metadata(sorted(by_indicator), client)
    return [Indicator(i, _name(meta.get(i), i), tuple(_area_type(types, a) for a in sorted(by_indicator[i])),
                      str(((meta.get(i) or {}).get("DataChange") or {}).get("LastUploadedAt") or "")[:10])
            for i in sorted(by_indicator)]


def describe_search(text: str, found: Sequence[Indicator]) -> str:
    """The lines ``healthgap fetch --search`` prints."""
    if not found:
        return f"no Fingertips indicator matches {text!r}"
    lines = [f"{len(found)} Fingertips indicator{'s' if len(found) != 1 else ''} match {text!r}:"]
    for indicator in found:
        types = ", ".join(f"{t.id} {t.short or t.name}" for t in indicator.area_types)
        uploaded = f"; data last uploaded {indicator.last_uploaded}" if indicator.last_uploaded else ""
        lines += [f"  {indicator.id}  {indicator.name}", f"      area types: {types}{uploaded}"]
    return "\n".join(lines)


def describe_area_types(indicator_id: int, client: Client) -> str:
    """The lines ``healthgap fetch --indicator N --area-types`` prints: where an indicator is published."""
    found = available_area_types(indicator_id, client)
    if not found:
        raise FetchError(f"indicator {indicator_id}: Fingertips holds no data for it; expected an indicator "
                         f"number (healthgap fetch --search WORDS finds them)")
    name = _name(metadata([indicator_id], client).get(indicator_id), indicator_id)
    plural = "s" if len(found) != 1 else ""
    lines = [f"indicator {indicator_id} ({name}) is published for {len(found)} area type{plural}:"]
    lines += [f"  {t.id:>4}  {t.name}" + (f" ({t.short})" if t.short and t.short != t.name else "") for t in found]
    return "\n".join(lines)


# --- the export ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """What a fetched export holds: its rows, the indicators' names by id, its area types and its periods (in
    time order)."""

    rows: int
    indicators: dict[str, str]
    area_types: tuple[str, ...]
    periods: tuple[str, ...]


def check_export(body: bytes, url: str) -> Export:
    """Check that ``body`` is a whole Fingertips export: UTF-8 CSV with :data:`EXPORT_COLUMNS`, at least one row,
    every quote closed, and the last row ended by a line end as Fingertips ends every row (a body cut short
    mid-row is refused). Raises :class:`FetchError` naming what is wrong."""
    if not body.strip():
        raise FetchError(f"{url}: Fingertips sent an empty response; expected its CSV export")
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FetchError(f"{url}: expected Fingertips' CSV export, got bytes that are not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header = next(reader, [])
    missing = [c for c in EXPORT_COLUMNS if c not in header]
    if missing:
        raise FetchError(f"{url}: expected Fingertips' CSV export with columns {', '.join(EXPORT_COLUMNS)}; "
                         f"got {_glimpse(body)}")
    at = {name: header.index(name) for name in ("Indicator ID", "Indicator Name", "Area Type", "Time period")}
    rows, names, types, periods = 0, {}, {}, {}

    def cell(row: list[str], column: str) -> str:
        return " ".join(row[at[column]].split()) if at[column] < len(row) else ""

    try:
        for row in reader:
            if not any(value.strip() for value in row):
                continue
            rows += 1
            names.setdefault(cell(row, "Indicator ID"), cell(row, "Indicator Name"))
            types.setdefault(cell(row, "Area Type"), None)
            periods.setdefault(cell(row, "Time period"), None)
    except csv.Error:
        raise FetchError(f"{url}: the response was cut short inside a quoted field (line {reader.line_num}); "
                         f"nothing was written") from None
    if not body.endswith(b"\n"):
        raise FetchError(f"{url}: the response was cut short mid-row (line {reader.line_num} has no line end); "
                         f"nothing was written")
    if rows == 0:
        raise FetchError(f"{url}: Fingertips sent its CSV header and no rows; expected data for this indicator, "
                         f"area type and parent area type")
    return Export(rows, names, tuple(types), tuple(sorted(periods, key=_period_order)))


def _period_order(text: str) -> tuple[int, int, str]:
    try:
        _, start, end = normalise_period(text)
    except ValueError:
        return (0, 0, text)
    return (start, end, text)


# --- fetching into a data folder -------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    """What :func:`fetch` wrote: the file, its record (a TOML table) and where the record went."""

    path: Path
    record: Path
    table: str
    sha256: str
    export: Export


def default_key(indicator_ids: Sequence[int], area_type: int) -> str:
    """The ``[files.<key>]`` name, and file stem, of a fetch: ``fingertips_93722_501``."""
    return "fingertips_" + "_".join(str(i) for i in indicator_ids) + f"_{area_type}"


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def record_table(key: str, path: str, source: str, url: str, retrieved: datetime, sha256: str) -> str:
    """The ``[files.<key>]`` table recording a fetched file, as TOML text."""
    fields = {"path": path, "layout": "fingertips-export", "source": source, "url": url, "licence": LICENCE,
              "published": retrieved.date().isoformat(), "sha256": sha256}
    return f"[files.{key}]\n" + "".join(f"{name} = {_toml_string(value)}\n" for name, value in fields.items())


def _briefing(into: Path) -> tuple[str | None, dict]:
    """The folder's ``briefing.toml`` text and content, when it is an own-data (``kind = "series"``) one."""
    path = into / CONFIG_NAME
    if not path.is_file():
        return None, {}
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FetchError(f"{path}: {error}; expected a readable briefing.toml to record the fetch in") from None
    return (text, raw) if raw.get("kind") == "series" else (None, raw)


def _write_new(path: Path, data: bytes) -> Path:
    """Write ``data`` under a temporary name beside ``path``; the temporary path (renamed by the caller)."""
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def fetch(indicator_ids: Sequence[int], area_type: int, into: Path, *, parent_area_type: int = ENGLAND,
          key: str | None = None, client: Client | None = None,
          now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> Fetched:
    """Download Fingertips' export of ``indicator_ids`` for ``area_type`` (``parent_area_type`` the parents)
    into the folder ``into``, as ``<key>.csv`` byte for byte, and record it (see the module's docstring).

    Before anything is written: the key must be new to the folder's ``briefing.toml`` and its file new to the
    folder, each indicator must be held for the area type (else the error names the area types that hold it),
    and the whole body must be the expected CSV. Any failure raises :class:`FetchError` and leaves ``into`` as
    it was (it is created only when there is something to write)."""
    client = client or Client()
    ids = list(dict.fromkeys(int(i) for i in indicator_ids))
    key = key or default_key(ids, area_type)
    if not KEY.fullmatch(key):
        raise FetchError(f"--key {key!r}: expected a name of letters, digits, _ and -, starting with a letter")
    into = Path(into)
    if into.exists() and not into.is_dir():
        raise FetchError(f"--into {into}: expected a folder, found a file")
    target = into / f"{key}.csv"
    config, raw = _briefing(into)
    if key in raw.get("files", {}):
        raise FetchError(f"{into / CONFIG_NAME} already has [files.{key}]; give the fetch another name with --key")
    sidecar = target.with_suffix(".source.toml")
    for path in (target, sidecar):
        if path.exists():
            raise FetchError(f"{path} already exists; give the fetch another name with --key, or remove it")

    types = area_types(client)
    for indicator_id in ids:
        held = available_area_types(indicator_id, client, types)
        if not held:
            raise FetchError(f"indicator {indicator_id}: Fingertips holds no data for it; expected an indicator "
                             f"number (healthgap fetch --search WORDS finds them)")
        if area_type not in {t.id for t in held}:
            raise FetchError(f"indicator {indicator_id} has no data for area type "
                             f"{_area_type(types, area_type).label()}; it is published for area types "
                             f"{', '.join(t.label() for t in held)}")

    url = client.url("all_data/csv/by_indicator_id", indicator_ids=",".join(map(str, ids)),
                     child_area_type_id=area_type, parent_area_type_id=parent_area_type)
    body = client.get(url)
    export = check_export(body, url)
    retrieved = now().astimezone(UTC).replace(microsecond=0)
    digest = hashlib.sha256(body).hexdigest()
    names = "; ".join(f"{i} ({export.indicators.get(str(i), 'not in the export')})" for i in ids)
    source = (f"OHID Fingertips, indicator{'s' if len(ids) > 1 else ''} {names}: all data for area type "
              f"{_area_type(types, area_type).label()} with parent area type "
              f"{_area_type(types, parent_area_type).label()}, retrieved "
              f"{retrieved.isoformat().replace('+00:00', 'Z')} from the Fingertips API")
    table = record_table(key, target.name, source, url, retrieved, digest)

    into.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        part = _write_new(target, body)
        written.append(part)
        if config is not None:
            record = into / CONFIG_NAME
            text = config if config.endswith("\n") else config + "\n"
            record_part = _write_new(record, (text + f"\n# fetched by healthgap fetch\n{table}").encode("utf-8"))
        else:
            record = sidecar
            note = (f"# The record of {target.name}, fetched by healthgap fetch: paste this table into the\n"
                    f"# folder's briefing.toml (kind = \"series\") to use the file in a briefing.\n")
            record_part = _write_new(sidecar, (note + table).encode("utf-8"))
        written.append(record_part)
        os.replace(part, target)
        written[0] = target
        os.replace(record_part, record)
        written.pop()
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return Fetched(target, record, table, digest, export)


def describe_fetched(fetched: Fetched) -> str:
    """The lines ``healthgap fetch`` prints after a fetch."""
    export = fetched.export
    periods = export.periods
    span = f"periods {periods[0]} to {periods[-1]}" if len(periods) > 1 else f"period {periods[0]}"
    return (f"wrote {fetched.path} ({export.rows} rows; {'; '.join(export.indicators.values())}; {span}; sha256 "
            f"{fetched.sha256[:16]}...)\nrecorded it as [files.{fetched.path.stem}] in {fetched.record}")


def parse_ids(values: Iterable[str], option: str) -> list[int]:
    """Whole positive numbers given to an option (``--indicator 93722 93723`` or ``93722,93723``)."""
    ids = []
    for value in values:
        for part in str(value).split(","):
            if not part.strip().isdigit() or int(part) < 1:
                raise FetchError(f"{option}: expected Fingertips id numbers such as 93722, got {part.strip()!r}")
            ids.append(int(part))
    return ids
