"""``healthgap fetch``: Fingertips data by indicator and area type, from responses served on 127.0.0.1.

The CSV served is Fingertips' real export of indicator 93356 (``tests/fixtures/series``); the metadata are in the
shapes the clients' sources document (``tests/fixtures/fetch/README.md``). Every socket the tests open is
checked: anything but loopback is refused, and a test shows that.
"""

from __future__ import annotations

import hashlib
import http.server
import ipaddress
import socket
import threading
import tomllib
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from healthgap import cli
from healthgap.read import fetch, layouts

FIXTURES = Path(__file__).parent / "fixtures"
EXPORT = FIXTURES / "series" / "fingertips_export_campylobacter_2015_county_ua.csv"
EXPORT_SHA256 = "26e306e1426f7607d3cddeb06cc5adbd15e5ecc88c3edc6d3352fab67f4f06c8"  # tests/fixtures/series/README.md
CSV_QUERY = "all_data/csv/by_indicator_id?indicator_ids=93356&child_area_type_id=102&parent_area_type_id=15"


# --- no network --------------------------------------------------------------------------------------------

BLOCKED: list[str] = []


def _loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Refuse every connection, and every name lookup, but to loopback: a name lookup fails as it does on a
    machine without a network, and is noted in :data:`BLOCKED`."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        if host is not None and not _loopback(str(host)):
            BLOCKED.append(str(host))
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(str(address[0])):
            BLOCKED.append(str(address[0]))
            raise ConnectionRefusedError(111, "Connection refused (the tests allow loopback only)")
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    yield


def test_no_test_touches_the_network() -> None:
    BLOCKED.clear()
    with pytest.raises(OSError):
        urllib.request.urlopen("https://fingertips.phe.org.uk/api/area_types", timeout=5)
    with pytest.raises(OSError):
        socket.create_connection(("93.184.216.34", 443), timeout=5)
    assert BLOCKED == ["fingertips.phe.org.uk", "93.184.216.34"]


# --- a Fingertips API on 127.0.0.1 -----------------------------------------------------------------------


@dataclass
class Reply:
    """One response: status, body and headers; ``cut`` sends the headers of the whole body and only
    ``cut`` bytes of it; ``stall`` waits that many seconds before answering; ``close`` answers nothing."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    cut: int | None = None
    stall: float = 0.0
    close: bool = False
    length: bool = True


class Fingertips:
    """A stand-in for the Fingertips API: replies by path and query, in turn (the last one repeats); each
    request is noted in ``requests``."""

    def __init__(self) -> None:
        self.replies: dict[str, list[Reply]] = {}
        self.requests: list[str] = []
        self.stop = threading.Event()
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                target = self.path.removeprefix("/api/")
                api.requests.append(target)
                queue = api.replies.get(target) or [Reply(404, b"<html>Not found</html>")]
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
                if reply.stall and api.stop.wait(reply.stall):
                    return  # the test is over
                if reply.close:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers:
                    self.send_header(name, value)
                if reply.length:
                    self.send_header("Content-Length", str(len(reply.body)))
                else:
                    self.close_connection = True
                self.end_headers()
                try:
                    self.wfile.write(reply.body[:reply.cut] if reply.cut is not None else reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout)
                if reply.cut is not None:
                    self.close_connection = True

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.block_on_close = False
        self.root = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def serve(self, target: str, *replies: Reply) -> None:
        self.replies[target] = list(replies)

    def json(self, target: str, name: str) -> None:
        self.serve(target, Reply(body=(FIXTURES / "fetch" / name).read_bytes(),
                                 headers=(("Content-Type", "application/json; charset=utf-8"),)))

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api(monkeypatch):
    """The stand-in API with the recorded responses for indicator 93356 at area type 102, and the search for
    "cardiovascular"; the library's API root points at it and back-off waits are noted instead of slept."""
    server = Fingertips()
    server.json("area_types", "area_types.json")
    server.json("available_data?indicator_id=93356", "available_data_93356.json")
    server.serve("available_data?indicator_id=99999", Reply(body=b"[]"))
    server.json("indicator_metadata/by_indicator_id?indicator_ids=93356", "indicator_metadata_93356.json")
    server.json("indicator_metadata/by_indicator_id?indicator_ids=40401,93722", "indicator_metadata_40401_93722.json")
    server.json("indicator_search?search_text=cardiovascular", "indicator_search_cardiovascular.json")
    server.serve(CSV_QUERY, Reply(body=EXPORT.read_bytes(), headers=(("Content-Type", "text/csv"),)))
    server.slept = []
    monkeypatch.setattr(fetch, "API", server.root)
    monkeypatch.setattr(fetch.time, "sleep", server.slept.append)
    yield server
    server.close()


def client(api: Fingertips, **settings) -> fetch.Client:
    return fetch.Client(**{"retries": 0, "backoff": 0.0, "sleep": api.slept.append, **settings})


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``folder``, by relative path."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    status = cli.main(argv)
    out, err = capsys.readouterr()
    return status, out, err


BRIEFING = """\
# Campylobacter across upper-tier local authorities: a test briefing around a fetched export.
kind = "series"
title = "Campylobacter in three areas against England"

[areas]
tier = "upper"                 # counties and unitary authorities
comparator = "England"

[group]
rule = "list"
path = "group.csv"
label = "three listed areas"
areas = "campylobacter"

[indicators.campylobacter]
title = "Campylobacter incidence"
file = "campylobacter"
age = "All ages"
measure = "rate"
unit = "cases per 100,000"
decimals = 1
higher_is_worse = true
sexes = ["persons"]

[sections]
campylobacter = "campylobacter"  # no notebook of its own: the generic notebook briefs it
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A data folder with an own-data briefing.toml that names the file to be fetched but has no [files] yet."""
    data = tmp_path / "mydata"
    data.mkdir()
    (data / "briefing.toml").write_text(BRIEFING, encoding="utf-8")
    (data / "group.csv").write_text("area_code\nE06000001\nE06000002\nE08000003\n", encoding="utf-8")
    return data


# --- a fetch ---------------------------------------------------------------------------------------------------


def test_a_fetch_keeps_the_export_byte_for_byte_and_records_it(api, folder: Path) -> None:
    before = (folder / "briefing.toml").read_text(encoding="utf-8")
    fetched = fetch.fetch([93356], 102, folder, key="campylobacter", client=client(api))

    assert api.requests[-1] == CSV_QUERY
    assert fetched.path == folder / "campylobacter.csv"
    assert fetched.path.read_bytes() == EXPORT.read_bytes()
    assert fetched.sha256 == hashlib.sha256(EXPORT.read_bytes()).hexdigest() == EXPORT_SHA256
    assert (fetched.export.rows, fetched.export.periods) == (852, ("2015", "2016", "2017"))
    assert fetched.export.indicators == {"93356": "Campylobacter incidence rate/100,000"}

    after = (folder / "briefing.toml").read_text(encoding="utf-8")
    assert after.startswith(before)  # the user's text, comments and all, kept as it was
    recorded = tomllib.loads(after)["files"]["campylobacter"]
    assert recorded == {
        "path": "campylobacter.csv", "layout": "fingertips-export", "source": recorded["source"],
        "url": api.root + CSV_QUERY, "licence": "Open Government Licence v3.0",
        "published": recorded["published"], "sha256": EXPORT_SHA256,
    }
    assert recorded["source"].startswith(
        "OHID Fingertips, indicator 93356 (Campylobacter incidence rate/100,000): all data for area type 102 "
        "(Upper tier local authorities (pre 4/19)) with parent area type 15 (England), retrieved ")
    retrieved = recorded["source"].split("retrieved ")[1].split(" ")[0]
    assert retrieved.endswith("Z") and retrieved[:10] == recorded["published"]
    assert sorted(p.name for p in folder.iterdir()) == ["briefing.toml", "campylobacter.csv", "group.csv"]


def test_the_fetched_file_reads_back_through_the_fingertips_export_reader(api, folder: Path) -> None:
    fetched = fetch.fetch([93356], 102, folder, key="campylobacter", client=client(api))
    rows = layouts.read(fetched.path, "fingertips-export")
    assert len(rows) == 852
    assert set(rows["indicator_id"]) == {"93356"}
    hartlepool = rows[(rows["area_code"] == "E06000001") & (rows["age"] == "All ages") & (rows["period"] == "2015")]
    assert hartlepool[["value", "count", "denominator"]].values.tolist() == [[142.713502643443, 132.0, 92493.0]]


def test_fetch_then_check_accepts_the_folder(api, folder: Path, capsys) -> None:
    status, out, err = run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(folder),
                            "--key", "campylobacter"], capsys)
    assert (status, err) == (0, "")
    assert out == (f"wrote {folder / 'campylobacter.csv'} (852 rows; Campylobacter incidence rate/100,000; "
                   f"periods 2015 to 2017; sha256 {EXPORT_SHA256[:16]}...)\n"
                   f"recorded it as [files.campylobacter] in {folder / 'briefing.toml'}\n")
    status, out, err = run(["check", "--data", str(folder)], capsys)
    assert (status, err) == (0, "")
    assert out == f"{folder.resolve()}: valid: 1 file, 1 section; 3 of 3 areas in the group\n"


def test_a_folder_without_a_briefing_gets_the_record_beside_the_file(api, tmp_path: Path, capsys) -> None:
    into = tmp_path / "new" / "folder"
    status, out, err = run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(into)], capsys)
    assert (status, err) == (0, "")
    assert sorted(p.name for p in into.iterdir()) == ["fingertips_93356_102.csv", "fingertips_93356_102.source.toml"]
    assert (into / "fingertips_93356_102.csv").read_bytes() == EXPORT.read_bytes()
    sidecar = (into / "fingertips_93356_102.source.toml").read_text(encoding="utf-8")
    assert sidecar.startswith("# The record of fingertips_93356_102.csv, fetched by healthgap fetch")
    assert tomllib.loads(sidecar)["files"]["fingertips_93356_102"]["sha256"] == EXPORT_SHA256
    assert out.endswith(f"recorded it as [files.fingertips_93356_102] in {into / 'fingertips_93356_102.source.toml'}\n")


def test_init_after_a_fetch_takes_the_source_the_fetch_recorded(api, tmp_path: Path, capsys) -> None:
    """The README's first steps: fetch into a new folder (the record beside the file), then init: the first
    briefing.toml cites the fetch's source, URL, licence and date, so it loads without a placeholder to replace."""
    import healthgap as hg

    into = tmp_path / "campylobacter"
    assert run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(into)], capsys)[0] == 0
    recorded = tomllib.loads((into / "fingertips_93356_102.source.toml").read_text(encoding="utf-8"))
    assert cli.main(["init", str(into), str(into / "fingertips_93356_102.csv")]) == 0
    config = tomllib.loads((into / "briefing.toml").read_text(encoding="utf-8"))
    (written,) = config["files"].values()
    for key in ("source", "url", "licence", "published", "sha256"):
        assert written[key] == recorded["files"]["fingertips_93356_102"][key], key
    assert "/api/all_data/csv/by_indicator_id?indicator_ids=93356&child_area_type_id=102" in written["url"]
    assert hg.load(into).indicators


def test_a_national_briefing_is_left_alone_and_the_record_goes_beside_the_file(api, tmp_path: Path) -> None:
    national = tmp_path / "national"
    national.mkdir()
    (national / "briefing.toml").write_text('title = "The national briefing"\n', encoding="utf-8")
    fetched = fetch.fetch([93356], 102, national, client=client(api))
    assert fetched.record == national / "fingertips_93356_102.source.toml"
    assert (national / "briefing.toml").read_text(encoding="utf-8") == 'title = "The national briefing"\n'


# --- finding indicators and area types ---------------------------------------------------------------------


SEARCH = """\
2 Fingertips indicators match 'cardiovascular':
  40401  Under 75 mortality rate from all cardiovascular diseases
      area types: 6 Region, 15 England, 101 Districts & UAs (pre Apr 2019), 102 Counties & UAs (pre Apr 2019), \
501 Districts & UAs (from Apr 2023), 502 Counties & UAs (from Apr 2023); data last uploaded 2025-02-04
  93722  Under 75 mortality rate from cardiovascular disease considered preventable (2019 definition)
      area types: 6 Region, 15 England, 501 Districts & UAs (from Apr 2023), 502 Counties & UAs (from Apr 2023); \
data last uploaded 2025-02-04
"""

AREA_TYPES = """\
indicator 93356 (Campylobacter incidence rate/100,000) is published for 4 area types:
     6  Government Office Region (E12) (Region)
    15  England
   101  Lower tier local authorities (pre 4/19) (Districts & UAs (pre Apr 2019))
   102  Upper tier local authorities (pre 4/19) (Counties & UAs (pre Apr 2019))
"""


def test_search_lists_the_matching_indicators_with_their_area_types(api, capsys) -> None:
    status, out, err = run(["fetch", "--search", "cardiovascular"], capsys)
    assert (status, out, err) == (0, SEARCH, "")
    assert api.requests == ["indicator_search?search_text=cardiovascular", "area_types",
                            "indicator_metadata/by_indicator_id?indicator_ids=40401,93722"]


def test_a_search_that_matches_nothing_says_so(api, capsys) -> None:
    api.serve("indicator_search?search_text=no%20such%20thing", Reply(body=b'{"6": [], "15": []}'))
    assert run(["fetch", "--search", "no such thing"], capsys) == (
        0, "no Fingertips indicator matches 'no such thing'\n", "")


def test_area_types_lists_where_an_indicator_is_published(api, capsys) -> None:
    assert run(["fetch", "--indicator", "93356", "--area-types"], capsys) == (0, AREA_TYPES, "")


NO_DATA = ("error: indicator 93356 has no data for area type 501 (Lower tier local authorities (post 4/23)); it is "
           "published for area types 6 (Government Office Region (E12)), 15 (England), 101 (Lower tier local "
           "authorities (pre 4/19)), 102 (Upper tier local authorities (pre 4/19))\n")


def test_an_area_type_without_data_names_the_ones_that_have_it(api, folder: Path, capsys) -> None:
    before = snapshot(folder)
    assert run(["fetch", "--indicator", "93356", "--area-type", "501", "--into", str(folder)], capsys) == (1, "", NO_DATA)
    assert snapshot(folder) == before
    assert not any(r.startswith("all_data") for r in api.requests)  # nothing downloaded


def test_an_indicator_fingertips_does_not_hold_is_one_line(api, tmp_path: Path, capsys) -> None:
    into = tmp_path / "d"
    assert run(["fetch", "--indicator", "99999", "--area-type", "102", "--into", str(into)], capsys) == (
        1, "", ("error: indicator 99999: Fingertips holds no data for it; expected an indicator number "
               "(healthgap fetch --search WORDS finds them)\n"))
    assert not into.exists()


# --- failures: one line, and the folder as it was ----------------------------------------------------------

CUT = len(EXPORT.read_bytes()) // 2
MID_ROW = EXPORT.read_bytes().index(b",E06000001,Hartlepool,") + 12  # inside Hartlepool's first row, after its quote
MID_ROW_LINE = EXPORT.read_bytes()[:MID_ROW].count(b"\n") + 1


@pytest.mark.parametrize(("reply", "message"), [
    (Reply(404, b"<html>Not found</html>"), "{url}: Fingertips answered HTTP 404 Not Found"),
    (Reply(503, b"busy"), "could not fetch {url}: HTTP 503 Service Unavailable (3 attempts)"),
    (Reply(body=EXPORT.read_bytes(), cut=CUT),
     f"could not fetch {{url}}: the response was cut short ({CUT} bytes of {len(EXPORT.read_bytes())}) (3 attempts)"),
    (Reply(close=True), ("could not fetch {url}: the connection was closed before the response was complete "
                        "(3 attempts)")),
    (Reply(body=EXPORT.read_bytes()[:MID_ROW], length=False),
     f"{{url}}: the response was cut short mid-row (line {MID_ROW_LINE} has no line end); nothing was written"),
    (Reply(body=b""), "{url}: Fingertips sent an empty response; expected its CSV export"),
    (Reply(body=EXPORT.read_bytes().split(b"\n")[0] + b"\n"),
     ("{url}: Fingertips sent its CSV header and no rows; expected data for this indicator, area type and parent "
     "area type")),
    (Reply(body=b"<!DOCTYPE html><html><head><title>Fingertips is unavailable</title></head></html>"),
     "{url}: expected Fingertips' CSV export with columns " + ", ".join(fetch.EXPORT_COLUMNS) +
     "; got '<!DOCTYPE html><html><head><title>Fingertips is unavailable<'..."),
    (Reply(body=EXPORT.read_bytes()[:EXPORT.read_bytes().index(b"Campylobacter incidence rate") + 10],
           length=False),
     "{url}: the response was cut short inside a quoted field (line 2); nothing was written"),
], ids=["http-404", "http-503", "cut-short", "closed", "mid-row", "empty", "header-only", "html", "open-quote"])
def test_a_failed_download_writes_nothing_and_says_so_in_one_line(api, folder, capsys, reply, message) -> None:
    api.serve(CSV_QUERY, reply)
    before = snapshot(folder)
    status, out, err = run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(folder),
                            "--retries", "2"], capsys)
    assert (status, out) == (1, "")
    assert err == "error: " + message.format(url=api.root + CSV_QUERY) + "\n"
    assert snapshot(folder) == before


def test_a_timeout_writes_nothing(api, folder: Path, capsys) -> None:
    api.serve(CSV_QUERY, Reply(body=EXPORT.read_bytes(), stall=5))
    before = snapshot(folder)
    status, out, err = run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(folder),
                            "--timeout", "0.2", "--retries", "1"], capsys)
    assert (status, out) == (1, "")
    assert err == f"error: could not fetch {api.root + CSV_QUERY}: no answer within 0.2 s (2 attempts)\n"
    assert api.slept == [1.0]
    assert snapshot(folder) == before


def test_no_network_writes_nothing(monkeypatch, folder: Path, capsys) -> None:
    before = snapshot(folder)
    status, out, err = run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(folder),
                            "--retries", "0"], capsys)  # the real API root: its name cannot be looked up here
    assert (status, out) == (1, "")
    assert err == ("error: could not fetch https://fingertips.phe.org.uk/api/area_types: no network or unknown host "
                   "(Temporary failure in name resolution) (1 attempt)\n")
    assert snapshot(folder) == before


def test_a_refused_connection_writes_nothing(monkeypatch, tmp_path: Path, capsys) -> None:
    with socket.socket() as probe:  # a loopback port where nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(fetch, "API", f"http://127.0.0.1:{port}/api/")
    monkeypatch.setattr(fetch.time, "sleep", lambda s: None)
    into = tmp_path / "d"
    status, out, err = run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(into)], capsys)
    assert (status, out, err) == (
        1, "", f"error: could not fetch http://127.0.0.1:{port}/api/area_types: connection refused (4 attempts)\n")
    assert not into.exists()


def test_transient_errors_are_retried_with_exponential_back_off(api, folder: Path) -> None:
    api.serve(CSV_QUERY, Reply(503, b"busy"), Reply(close=True), Reply(429, b"slow down", (("Retry-After", "7"),)),
              Reply(body=EXPORT.read_bytes()))
    fetched = fetch.fetch([93356], 102, folder, client=client(api, retries=3, backoff=0.5))
    assert fetched.path.read_bytes() == EXPORT.read_bytes()
    assert api.slept == [0.5, 1.0, 7.0]  # doubling from 0.5 s; a Retry-After of 7 s is honoured
    assert api.requests.count(CSV_QUERY) == 4


def test_a_key_the_briefing_already_has_is_refused(api, folder: Path, capsys) -> None:
    fetch.fetch([93356], 102, folder, key="campylobacter", client=client(api))
    before = snapshot(folder)
    assert run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(folder), "--key",
                "campylobacter"], capsys) == (
        1, "", (f"error: {folder / 'briefing.toml'} already has [files.campylobacter]; give the fetch another name "
               f"with --key\n"))
    assert snapshot(folder) == before


def test_a_file_already_there_is_refused(api, folder: Path, capsys) -> None:
    (folder / "fingertips_93356_102.csv").write_bytes(b"mine\n")
    before = snapshot(folder)
    assert run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(folder)], capsys) == (
        1, "", (f"error: {folder / 'fingertips_93356_102.csv'} already exists; give the fetch another name with "
               f"--key, or remove it\n"))
    assert snapshot(folder) == before


def test_a_briefing_that_cannot_be_read_is_left_alone(api, folder: Path, capsys) -> None:
    (folder / "briefing.toml").write_text(BRIEFING + "[files.campylobacter\n", encoding="utf-8")
    before = snapshot(folder)
    status, out, err = run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(folder)], capsys)
    assert (status, out) == (1, "")
    assert err.startswith(f"error: {folder / 'briefing.toml'}: ") and err.count("\n") == 1
    assert err.endswith("; expected a readable briefing.toml to record the fetch in\n")
    assert snapshot(folder) == before
    assert api.requests == []


def test_into_a_file_is_refused(api, tmp_path: Path, capsys) -> None:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    assert run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(tmp_path / "notes.txt")],
               capsys) == (1, "", f"error: --into {tmp_path / 'notes.txt'}: expected a folder, found a file\n")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine\n"


def test_a_failure_while_recording_takes_the_file_back(api, folder: Path, monkeypatch) -> None:
    before = snapshot(folder)
    real_replace = fetch.os.replace

    def replace(source, target):
        if Path(target).name == "briefing.toml":
            raise OSError(28, "No space left on device", str(target))
        return real_replace(source, target)

    monkeypatch.setattr(fetch.os, "replace", replace)
    with pytest.raises(OSError, match="No space left"):
        fetch.fetch([93356], 102, folder, key="campylobacter", client=client(api))
    assert snapshot(folder) == before


@pytest.mark.parametrize(("argv", "message"), [
    (["--search", "heart", "--into", "d"], "--search: expected on its own (with --timeout, --retries)"),
    (["--indicator", "93356"], ("--indicator: expected --area-type ID and --into DIR too (or --area-types to list "
                               "the area types it is published for)")),
    (["--indicator", "93356", "--area-types", "--into", "d"], "--area-types: expected with --indicator only"),
    (["--indicator", "heart", "--area-types"], "--indicator: expected Fingertips id numbers such as 93722, got 'heart'"),
    (["--indicator", "93356", "--area-type", "102", "--into", "d", "--key", "my file"],
     "--key 'my file': expected a name of letters, digits, _ and -, starting with a letter"),
    ([], "expected --indicator N with --area-type ID --into DIR (or --area-types), or --search WORDS"),
])
def test_bad_options_are_one_line(api, argv, message, capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(["fetch", *argv], capsys) == (1, "", f"error: {message}\n")
    assert list(tmp_path.iterdir()) == []
    assert api.requests == []


def test_an_unknown_option_is_an_error(capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["fetch", "--indicator", "93356", "--area-type", "102", "--into", "d", "--colour"])
    assert stopped.value.code == 2
    assert "unrecognized arguments: --colour" in capsys.readouterr().err


def test_the_query_names_the_parameters_the_clients_use() -> None:
    url = fetch.Client(api="https://fingertips.phe.org.uk/api/").url(
        "all_data/csv/by_indicator_id", indicator_ids="93722,40401", child_area_type_id=501, parent_area_type_id=15)
    assert url == ("https://fingertips.phe.org.uk/api/all_data/csv/by_indicator_id?indicator_ids=93722,40401"
                   "&child_area_type_id=501&parent_area_type_id=15")
    assert urllib.parse.urlsplit(fetch.Client().url("indicator_search", search_text="heart disease")).query == \
        "search_text=heart%20disease"


@pytest.mark.notebooks
def test_a_briefing_builds_from_the_fetched_data(api, folder: Path, tmp_path: Path, capsys) -> None:
    assert run(["fetch", "--indicator", "93356", "--area-type", "102", "--into", str(folder), "--key",
                "campylobacter"], capsys)[0] == 0
    status, out, err = run(["build", "--data", str(folder), "--out", str(tmp_path / "out"), "--jobs", "1"], capsys)
    assert (status, err) == (0, "")
    assert out.startswith("running indicator.ipynb (section campylobacter)\n")
    assert out.endswith("(1 notebook run, 0 reused)\n")
    assert (tmp_path / "out" / "notebooks" / "campylobacter.ipynb").is_file()
    page = (tmp_path / "out" / "briefing.html").read_text(encoding="utf-8")
    assert "Campylobacter in three areas against England" in page
    assert "Open Government Licence v3.0" in page and EXPORT_SHA256 in page


def test_the_columns_checked_are_the_ones_the_reader_needs(tmp_path: Path) -> None:
    import csv

    header, *rows = list(csv.reader(EXPORT.read_text(encoding="utf-8").splitlines(keepends=True)))
    keep = [header.index(c) for c in fetch.EXPORT_COLUMNS]
    only = tmp_path / "only_those.csv"
    with only.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([[row[i] if i < len(row) else "" for i in keep] for row in [header, *rows]])
    assert len(layouts.read(only, "fingertips-export")) == 852  # enough for the reader
    for column in fetch.EXPORT_COLUMNS:  # and each of them needed, by the reader and by the fetch
        first, rest = EXPORT.read_bytes().split(b"\r\n", 1)
        names = first.decode().split(",")  # the header holds no quoted names
        body = ",".join("Renamed" if name == column else name for name in names).encode() + b"\r\n" + rest
        (tmp_path / "renamed.csv").write_bytes(body)
        with pytest.raises(layouts.DataError, match=f"missing column '{column}'"):
            layouts.read(tmp_path / "renamed.csv", "fingertips-export")
        with pytest.raises(fetch.FetchError, match="expected Fingertips' CSV export with columns"):
            fetch.check_export(body, "u")
