"""A large Fingertips-layout export for `make bench`: the real campylobacter export's rows, repeated under other
indicator numbers (and shuffled so one indicator's rows are spread through the file), to a given number of rows,
with a data folder around it whose ``briefing.toml`` briefs one indicator of it (the real one, 93356).

    python bench/big_export.py FOLDER [ROWS]
"""

from __future__ import annotations

import csv
import hashlib
import io
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tests" / "fixtures" / "series" / "fingertips_export_campylobacter_2015_county_ua.csv"
IMD = ROOT / "data" / "examples" / "most-deprived-fifth-2014" / "raw" / "indices_of_deprivation_2019_lad.csv"

CONFIG = """\
kind = "series"
title = "A large export: campylobacter among {indicators} indicators"

[areas]
tier = "upper"

[group]
rule = "deprivation"
fraction = 0.2
deprivation = "imd"
edition = "English Indices of Deprivation 2019"
areas = "big"

[files.big]
path = "big.csv"
layout = "fingertips-export"
source = "OHID Fingertips indicator 93356, repeated under other indicator numbers for a benchmark"
url = "https://fingertips.phe.org.uk/"
licence = "Open Government Licence v3.0"
sha256 = "{big}"

[files.imd]
path = "imd.csv"
layout = "imd"
source = "MHCLG, English Indices of Deprivation 2019, File 10"
url = "https://www.gov.uk/government/statistics/english-indices-of-deprivation-2019"
licence = "Open Government Licence v3.0"
sha256 = "{imd}"

[indicators.campylobacter]
title = "Campylobacter incidence"
file = "big"
indicator = "93356"
age = "All ages"
measure = "rate"
unit = "cases per 100,000"
higher_is_worse = true

[sections]
campylobacter = "campylobacter"
"""


def write(folder: Path, rows: int = 2_000_000, seed: int = 1) -> Path:
    """The data folder with ``big.csv`` of about ``rows`` rows (the real indicator's rows among them, once)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = EXPORT.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    body = list(reader)
    column = header.index("Indicator ID")
    copies = max(1, rows // len(body))
    order = [(i, j) for i in range(copies) for j in range(len(body))]
    random.Random(seed).shuffle(order)
    with (folder / "big.csv").open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle, lineterminator="\r\n")
        out.writerow(header)
        for i, j in order:
            row = body[j]
            if i:
                row = list(row)
                row[column] = str(900_000 + i)
            out.writerow(row)
    shutil.copy2(IMD, folder / "imd.csv")
    digest = {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in ("big.csv", "imd.csv")}
    (folder / "briefing.toml").write_text(CONFIG.format(indicators=copies, big=digest["big.csv"], imd=digest["imd.csv"]),
                                          encoding="utf-8")
    return folder


if __name__ == "__main__":
    target = write(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000)
    print(f"{target}: {(target / 'big.csv').stat().st_size / 1e6:.0f} MB")
