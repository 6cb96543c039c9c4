"""`make bench`: how fast healthgap builds and computes, each figure a ratio to a floor measured in the same run.

Prints figures; asserts nothing (tests are not timed). Run from the project folder with the project's
environment: ``make bench`` (``make bench FRESH=1`` adds a fresh environment's set-up, which downloads).

1. A full build (environment present, ``--force``) against a floor: as many trivial notebooks
   (parameters, pandas, matplotlib, one small chart) executed exactly as the build executes them
   (papermill, IPC kernels, spawned workers, as many at a time as there are cores), plus one assembly;
   both as whole processes, medians of three.
2. A no-op build (nothing changed) as a whole command, and the rebuild after editing one notebook
   against one trivial notebook's floor.
3. The methods as the data grow: DSR with limits, life expectancy, the SII, each against a plain
   vectorised numpy/pandas computation of the same result (the same figures in a tidy frame, without
   the method's input checks), with the growth per tenfold step.
4. Peak memory of a full build, kernels included (the build's whole process tree, sampled): the sum of
   PSS (shared pages shared out), with the sum of RSS beside it; and the page's size in bytes.
5. A large export (2 million rows in Fingertips' layout, one indicator briefed): `healthgap check` with an empty
   cache and a filled one, and a build of its section, each with its peak memory.
6. With ``--fresh``: a fresh environment's set-up from an empty folder.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HEALTHGAP = str(Path(PYTHON).parent / "healthgap")


def row(label: str, ratio: float | None, seconds: str, target: str) -> None:
    shown = f"{ratio:6.2f}" if ratio is not None else "     -"
    print(f"  {label:<58} {shown}   {seconds:<34} {target}")


def median(values) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def timed(command: list[str], cwd: Path = ROOT) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


# --- 1 and 2: builds -----------------------------------------------------------------------------

TRIVIAL = """{
 "cells": [
  {"cell_type": "code", "execution_count": null, "id": "p", "metadata": {"tags": ["parameters"]}, "outputs": [],
   "source": ["data_dir = \\"../data\\"\\n", "as_of = None\\n", "output_dir = \\"out\\""]},
  {"cell_type": "code", "execution_count": null, "id": "w", "metadata": {}, "outputs": [],
   "source": ["import pandas as pd\\n", "import matplotlib\\n", "matplotlib.use('Agg')\\n",
              "import matplotlib.pyplot as plt\\n", "from IPython.display import display, HTML\\n",
              "fig, ax = plt.subplots(); ax.plot([1, 2], [3, 4]); display(fig); plt.close(fig)\\n",
              "display(HTML(pd.DataFrame({'a': [1]}).to_html()))"]}
 ],
 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
              "language_info": {"name": "python"}},
 "nbformat": 4, "nbformat_minor": 5
}"""


def floor_build(count: int, folder: Path) -> float:
    """The floor as a whole process (imports included, as the build's are): its wall time."""
    folder.mkdir(parents=True, exist_ok=True)
    return timed([PYTHON, __file__, "--floor", str(count), str(folder)])


def floor_process(count: int, folder: Path) -> None:
    """``count`` trivial notebooks run as the build runs them, then one assembly."""
    import nbformat

    from healthgap.build.pipeline import NotebookRun, execute_all
    from healthgap.page.report import assemble_briefing

    notebooks = []
    for i in range(count):
        path = folder / f"trivial{i}.ipynb"
        path.write_text(TRIVIAL, encoding="utf-8")
        notebooks.append(path)
    executed = folder / "executed"
    executed.mkdir(exist_ok=True)
    runs = [NotebookRun(n, executed / n.name, {"data_dir": str(ROOT / "data"), "as_of": None, "output_dir": str(folder)})
            for n in notebooks]
    outcomes = execute_all(runs, os.cpu_count() or 1)
    assert not any(o.error for o in outcomes), [o.error for o in outcomes]
    html = assemble_briefing([nbformat.read(r.executed, as_version=4) for r in runs], "<h1>floor</h1>", "floor", "")
    (folder / "floor.html").write_text(html, encoding="utf-8")


def process_tree_memory(pid: int) -> tuple[int, int]:
    """The memory of a process and all its descendants: (sum of RSS, sum of PSS). RSS counts a shared page
    (numpy's, scipy's libraries, mapped by every kernel) once per process; PSS shares it out among the
    processes that map it, so its sum is the memory the tree really holds (Linux; RSS where PSS is unknown)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        processes = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    rss = pss = 0
    for process in processes:
        try:
            info = process.memory_full_info()
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return rss, pss


def build_with_memory(out: Path, command: list[str] | None = None, env: dict | None = None) -> tuple[float, int, int]:
    """A forced full build as a command (or ``command``); its wall time and the peak RSS and PSS of its whole
    process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command or [HEALTHGAP, "build", "--data", "data", "--out", str(out), "--force"],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak_rss = peak_pss = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_rss, peak_pss
        while not done.is_set():
            rss, pss = process_tree_memory(process.pid)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    process.wait()
    done.set()
    sampler.join()
    if process.returncode:
        raise SystemExit("the build failed; run `make report` to see why")
    return time.perf_counter() - started, peak_rss, peak_pss


def bench_builds() -> None:
    print("1-2. Builds (whole processes; wall time)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        notebooks = [ROOT / "notebooks" / f"{name}.ipynb" for name in ("cancer", "circulatory", "infant_mortality",
                                                                        "life_expectancy")]
        floor_build(len(notebooks), tmp)  # warm the disk cache and the kernel spec
        floor = median(floor_build(len(notebooks), tmp) for _ in range(3))
        out = tmp / "out"
        timed([HEALTHGAP, "build", "--data", "data", "--out", str(out), "--force"])  # warm
        full = median(timed([HEALTHGAP, "build", "--data", "data", "--out", str(out), "--force"]) for _ in range(3))
        # memory in runs of their own: reading each process's page map takes time the timed runs should not pay
        runs = [build_with_memory(out) for _ in range(2)]
        peak_rss, peak = max(r[1] for r in runs), max(r[2] for r in runs)
        row(f"full build ÷ floor ({len(notebooks)} notebooks; medians of 3)", full / floor,
            f"{full:.1f} s ÷ {floor:.1f} s", "target ≤ 1.3")
        noop = min(timed([HEALTHGAP, "build", "--data", "data", "--out", str(out)]) for _ in range(3))
        row("no-op build (nothing changed)", None, f"{noop:.2f} s", "target ≤ 0.5 s")
        (tmp / "one").mkdir()
        one = floor_build(1, tmp / "one")
        copy = tmp / "notebooks"
        shutil.copytree(ROOT / "notebooks", copy)
        edited = copy / "cancer.ipynb"
        four = [str(copy / n.name) for n in notebooks]
        timed([HEALTHGAP, "build", "--data", "data", "--out", str(out), "--notebooks", *four])
        edited.write_text(edited.read_text(encoding="utf-8").replace("# Cancer mortality under 75",
                                                                     "# Cancer mortality under 75 (edited)"), encoding="utf-8")
        rebuild = timed([HEALTHGAP, "build", "--data", "data", "--out", str(out), "--notebooks", *four])
        row("rebuild after editing one notebook ÷ one notebook's floor", rebuild / one, f"{rebuild:.1f} s ÷ {one:.1f} s", "")
        print("4. Memory and size")
        row("peak memory of a full build, kernels included (PSS)", None, f"{peak / 1e6:.0f} MB", "target ≤ 600 MB")
        row("  the same as a sum of RSS (shared pages counted per process)", None, f"{peak_rss / 1e6:.0f} MB", "")
        size = (out / "briefing.html").stat().st_size
        row("the page's size", None, f"{size:,} bytes", "")


# --- 3: methods as the data grow ---------------------------------------------------------------


def best_of(f, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        f()
        times.append(time.perf_counter() - started)
    return min(times)


def dsr_data(rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from healthgap import methods

    standard = methods.standard_population("ESP2013")
    bands = len(standard)
    groups = max(1, rows // bands)
    rng = np.random.default_rng(1)
    data = pd.DataFrame({
        "area": np.repeat(np.arange(groups), bands),
        "age_band": np.tile(standard["age_band"].to_numpy(), groups),
        "population": rng.integers(1_000, 10_000, groups * bands).astype(float),
    })
    data["deaths"] = rng.poisson(data["population"] * 0.01).astype(float)
    return data, standard


def dsr_floor(data: pd.DataFrame, standard: pd.DataFrame) -> np.ndarray:
    """DSR and Dobson 95 % limits with numpy alone (bincount over groups)."""
    from scipy import stats

    weights = data["age_band"].map(standard.set_index("age_band")["weight"]).to_numpy()
    group = data["area"].to_numpy()
    deaths, population = data["deaths"].to_numpy(), data["population"].to_numpy()
    total_weight = np.bincount(group, weights)
    dsr = np.bincount(group, weights * deaths / population) / total_weight
    var = np.bincount(group, weights**2 * deaths / population**2) / total_weight**2
    observed = np.bincount(group, deaths)
    lower = stats.chi2.ppf(0.025, 2 * observed) / 2
    upper = stats.chi2.ppf(0.975, 2 * observed + 2) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.sqrt(var / observed)
    return pd.DataFrame({"area": np.arange(len(dsr)), "value": dsr * 1e5,
                         "lower_ci": (dsr + scale * (lower - observed)) * 1e5,
                         "upper_ci": (dsr + scale * (upper - observed)) * 1e5, "count": observed})


def le_data(areas: int) -> pd.DataFrame:
    from healthgap.read import ons

    rng = np.random.default_rng(2)
    bands = ons.BANDS
    population = rng.integers(2_000, 20_000, (areas, len(bands))).astype(float)
    rates = np.exp(np.linspace(-8, -1.5, len(bands)))
    deaths = rng.poisson(population * rates).astype(float) + 1
    return pd.DataFrame({"area": np.repeat(np.arange(areas), len(bands)), "age_band": np.tile(bands, areas),
                         "deaths": deaths.ravel(), "population": population.ravel()})


def le_floor(data: pd.DataFrame) -> np.ndarray:
    """Chiang II life expectancy and its Silcocks standard error at every age, for every area at once
    (areas x bands arrays), with 95 % limits: the same result as the method, without its checks."""
    bands = 20
    d = data["deaths"].to_numpy().reshape(-1, bands)
    p = data["population"].to_numpy().reshape(-1, bands)
    ages = np.array([0, 1, *range(5, 95, 5)], dtype=float)
    width = np.append(np.diff(ages), np.nan)
    a = np.where(ages == 0, 0.1, 0.5)
    m = d / p
    q = width * m / (1 + width * m * (1 - a))
    q[:, -1] = 1.0
    l = 1e5 * np.concatenate([np.ones((len(d), 1)), np.cumprod(1 - q[:, :-1], axis=1)], axis=1)
    dying = l - np.concatenate([l[:, 1:], np.zeros((len(d), 1))], axis=1)
    big_l = width * (np.concatenate([l[:, 1:], np.zeros((len(d), 1))], axis=1) + a * dying)
    big_l[:, -1] = l[:, -1] / m[:, -1]
    total = np.cumsum(big_l[:, ::-1], axis=1)[:, ::-1]
    e = total / l
    var_q = q**2 * (1 - q) / d
    terms = np.empty_like(d)
    terms[:, :-1] = l[:, :-1] ** 2 * ((1 - a[:-1]) * width[:-1] + e[:, 1:]) ** 2 * var_q[:, :-1]
    terms[:, -1] = (l[:, -1] / 2) ** 2 * 4 / (d[:, -1] * m[:, -1] ** 2)
    se = np.sqrt(np.cumsum(terms[:, ::-1], axis=1)[:, ::-1]) / l
    return pd.DataFrame({"area": data["area"].to_numpy(), "age_band": data["age_band"].to_numpy(), "value": e.ravel(),
                         "lower_ci": (e - 1.959964 * se).ravel(), "upper_ci": (e + 1.959964 * se).ravel()})


def sii_data(groups: int) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    q = 10
    value = 50 + 5 * np.tile(np.arange(q), groups) + rng.normal(0, 1, groups * q)
    return pd.DataFrame({"group": np.repeat(np.arange(groups), q), "quantile": np.tile(np.arange(1, q + 1), groups),
                         "population": rng.integers(1_000, 5_000, groups * q).astype(float), "value": value,
                         "se": np.full(groups * q, 1.0)})


def sii_floor(data: pd.DataFrame, repetitions: int) -> np.ndarray:
    """The SII's point and simulated 95 % limits by weighted least squares, all groups at once."""
    q = 10
    population = data["population"].to_numpy().reshape(-1, q)
    value = data["value"].to_numpy().reshape(-1, q)
    se = data["se"].to_numpy().reshape(-1, q)
    share = population / population.sum(axis=1, keepdims=True)
    mid = np.cumsum(share, axis=1) - share / 2
    rng = np.random.default_rng(4)
    draws = value[:, None, :] + rng.standard_normal((len(value), repetitions, q)) * se[:, None, :]
    w = share[:, None, :]
    x = mid[:, None, :]
    mean_x = (w * x).sum(-1, keepdims=True)
    slope = (w * (x - mean_x) * draws).sum(-1) / (w * (x - mean_x) ** 2).sum(-1)
    return np.quantile(slope, [0.025, 0.975], axis=1)


def growth(times: list[float]) -> str:
    return " ".join(f"×{b / a:.1f}" for a, b in zip(times, times[1:]))


def bench_methods() -> None:
    from healthgap import methods

    print("3. Methods as the data grow (method ÷ plain numpy, best of 3; growth per tenfold step)")
    times = []
    for rows in (10**4, 10**5, 10**6):
        data, standard = dsr_data(rows)
        t = best_of(lambda: methods.dsr(data, "deaths", "population", standard, by="area", age_band="age_band"))
        f = best_of(lambda: dsr_floor(data, standard))
        times.append(t)
        row(f"DSR with limits, {rows:,} age-band rows", t / f, f"{t:.3f} s ÷ {f:.3f} s", "target ≤ 2" if rows == 10**6 else "")
    print(f"  {'':<58} growth {growth(times)}")
    times = []
    for areas in (10**2, 10**3, 10**4):
        data = le_data(areas)
        t = best_of(lambda: methods.life_expectancy(data, "deaths", "population", "age_band", by="area"), 1 if areas == 10**4 else 3)
        f = best_of(lambda: le_floor(data))
        times.append(t)
        row(f"life expectancy, {areas:,} areas", t / f, f"{t:.3f} s ÷ {f:.3f} s", "target ≤ 2" if areas == 10**4 else "")
    print(f"  {'':<58} growth {growth(times)}")
    times = []
    for groups in (10**2, 10**3, 10**4):
        data = sii_data(groups)
        t = best_of(lambda: methods.sii(data, "quantile", "population", "value", se="se", by="group",
                                        repetitions=1_000, seed=1), 1)
        f = best_of(lambda: sii_floor(data, 1_000), 1)
        times.append(t)
        row(f"SII with 1,000 simulations, {groups:,} groups", t / f, f"{t:.3f} s ÷ {f:.3f} s", "target ≤ 2" if groups == 10**4 else "")
    print(f"  {'':<58} growth {growth(times)}")


def bench_large(rows: int = 2_000_000) -> None:
    """A Fingertips-layout export of ``rows`` rows (bench/big_export.py: the real campylobacter export repeated
    under other indicator numbers), one indicator of it briefed: `healthgap check` with an empty cache (time, peak
    memory), the same with the cache filled, and a build of its section (the process tree's peak memory)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import big_export

    print(f"5. A large export ({rows:,} rows)")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = big_export.write(tmp / "data", rows)
        size = (folder / "big.csv").stat().st_size
        env = {**os.environ, "XDG_CACHE_HOME": str(tmp / "cache")}
        check = [HEALTHGAP, "check", "--data", str(folder)]
        cold, rss, _ = build_with_memory(tmp, check, env)
        row(f"check, cache empty ({size / 1e6:.0f} MB file)", None, f"{cold:.1f} s, peak {rss / 1e6:.0f} MB RSS",
            "target ≤ 15 s and ≤ 1.5 GB")
        warm, rss_warm, _ = build_with_memory(tmp, check, env)
        row("check, cache filled", None, f"{warm:.1f} s, peak {rss_warm / 1e6:.0f} MB RSS", "")
        shutil.rmtree(tmp / "cache")
        built, rss_build, pss_build = build_with_memory(
            tmp, [HEALTHGAP, "build", "--data", str(folder), "--out", str(tmp / "out"), "--force"], env)
        row("a build of its section, cache empty (process tree)", None,
            f"{built:.1f} s, peak {pss_build / 1e6:.0f} MB PSS ({rss_build / 1e6:.0f} MB RSS)", "target ≤ 3 GB")


def bench_fresh() -> None:
    print("6. A fresh environment (downloads)")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run(["make", "env", f"VENV={tmp}/venv"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        row("fresh environment set-up", None, f"{time.perf_counter() - started:.0f} s", "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fresh", action="store_true", help="also time a fresh environment's set-up")
    parser.add_argument("--only", choices=("builds", "methods", "large"), help="one part only")
    parser.add_argument("--floor", nargs=2, metavar=("COUNT", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor_process(int(args.floor[0]), Path(args.floor[1]))
        return
    print(f"healthgap bench: {os.cpu_count()} cores; {'ratio':>58}   {'absolute':<34} target")
    if args.only in (None, "builds"):
        bench_builds()
    if args.only in (None, "methods"):
        bench_methods()
    if args.only in (None, "large"):
        bench_large()
    if args.fresh:
        bench_fresh()


if __name__ == "__main__":
    main()
