"""Data tables: schema, period parsing, and one-line errors for bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from healthgap.read.tables import (
    DataError,
    as_of,
    conflicts,
    load_dataset,
    parse_period,
    preferred,
    published_after,
    sort_periods,
)


def rewrite(path: Path, edit) -> None:
    """Apply ``edit(rows)`` to a CSV's rows (a list of dicts) and write it back."""
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = list(reader.fieldnames), list(reader)
    fields = edit(rows) or fields
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fields, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize(
    "label, expected",
    [("1995-97", (1995, 1997)), ("1999-01", (1999, 2001)), ("2008-2010", (2008, 2010)), ("2010", (2010, 2010))],
)
def test_parse_period(label, expected):
    assert parse_period(label) == expected


@pytest.mark.parametrize("label", ["1995/97", "95-97", "1995-7", "2008-10 (provisional)", ""])
def test_parse_period_rejects(label):
    with pytest.raises(ValueError, match="expected a label like 1995-97"):
        parse_period(label)


def test_periods_sort_by_years_not_text():
    # "1999-01" sorts after "1998-00" and before "2000-02" although as text "1999-01" < "1998-00" is false
    assert sort_periods(["2000-02", "1999-01", "1998-00", "1995-97"]) == ["1995-97", "1998-00", "1999-01", "2000-02"]


def test_real_data_loads(dataset):
    obs = dataset.observations
    # 106 published values: the 101 first curated, less the two BBC life-expectancy gains moved to context,
    # plus the December 2008 cancer figures (gap and England rate, 2005-07), the January 2007 circulatory
    # figures (gap and England rate, 2003-05), the 2000 vintage of the circulatory baseline rate, PublicNet's
    # 2001-03 all-groups infant rate and Bambra's 2008-10 all-groups change since 2002-04, and the January 2007
    # circulatory baseline gap (the 36.7 an edition before December 2009 cites)
    assert len(obs) == 107
    # every row carries a source that exists, and its file line
    assert set(obs["source_id"]) <= set(dataset.sources["source_id"])
    assert obs["line"].min() == 2
    # the published cancer gap for 2004-06 (PharmaTimes on the DH December 2007 update)
    row = obs[obs["id"] == "cancer-persons-2004-06-gap-absolute_gap"].iloc[0]
    assert row["value"] == 18.4 and (row["start"], row["end"]) == (2004, 2006)
    assert len(dataset.version) == 12


def test_uncertain_periods_are_not_inputs(dataset):
    # the CRUK -15.7 % ("probably 2003-05") is context, not an observation
    assert not (dataset.observations["value"] == -15.7).any()
    assert (dataset.context["value"] == "-15.7").any()


def test_conflicting_sources_both_kept_one_preferred(dataset):
    # England male life expectancy 2008-10: DH bulletin 78.4 (used) against IHE 78.6
    rows = conflicts(dataset.observations)
    male = rows[(rows["sex"] == "male") & (rows["period"] == "2008-10")]
    assert sorted(male["value"]) == [78.4, 78.6]
    assert male.loc[male["preferred"] == "yes", "value"].tolist() == [78.4]
    assert (preferred(dataset.observations).groupby(
        ["indicator", "sex", "period", "group", "measure", "reference_period"]).size() == 1).all()


def test_as_of_keeps_periods_ending_by_then(dataset):
    obs = as_of(dataset.observations, "2004-06")
    assert obs["end"].max() == 2006
    with pytest.raises(ValueError, match="'2004-07' is not a period in the data"):
        as_of(dataset.observations, "2004-07")


@pytest.mark.parametrize(
    "source, edition, later",
    [("2009-12", "2007-12", True), ("2007-12", "2007-12", False), ("2008", "2008-03", False),
     ("2012", "2011-10", True), ("", "2007-12", False)],
)
def test_published_after(source, edition, later):
    assert published_after(source, edition) is later


def test_editions(dataset):
    edition = dataset.edition("2004-06")
    assert edition["title"] == "Tackling Health Inequalities: 2004-06 data and policy update"
    assert dataset.edition("2001-03") is None
    # the 2007-09 edition is the life-expectancy bulletin of 28 October 2010, not the December infant bulletin
    assert dataset.edition("2007-09")["published"] == "2010-10-28"


def test_corrections_of_the_second_check(dataset):
    obs = dataset.observations.set_index("id")
    # Hansard 25 October 2006's "13 to 19 per cent" quotes the August 2005 Status Report (data for 2001-03) but does
    # not state the period; ConservativeHome's quotation of the same report does ("in 2001–03"), and is used (issue
    # 18); the earlier citations are kept as corroborations
    row = obs.loc["infant_mortality-persons-2001-03-gap-relative_gap_pct"]
    assert (row["value"], row["source_id"], row["preferred"]) == (19, "hansard_2006_10_25", "no")
    row = obs.loc["infant_mortality-persons-2001-03-gap-relative_gap_pct-2"]
    assert (row["value"], row["source_id"], row["preferred"]) == (19, "conservativehome_2008_03", "yes")
    assert "2001–03" in row["quote"]
    for group in ("routine_and_manual", "all_nssec"):
        assert obs.loc[f"infant_mortality-persons-2001-03-{group}-rate-2", "preferred"] == "yes"
        assert obs.loc[f"infant_mortality-persons-2001-03-{group}-rate", "source_id"] == "publicnet_2005_08_18"
    # Bambra's 2008-10 infant figures are estimates on provisional data
    assert obs.loc["infant_mortality-persons-2008-10-gap-relative_gap_pct", "status"] == "estimate"
    # the BBC's life-expectancy gains are context now, not inputs
    assert not obs.index.str.contains("spearhead-change").any()
    assert ((dataset.context["source_id"] == "bbc_2008_03_13") & (dataset.context["value"] == "+2.5")).any()
    # the life-expectancy target is worded as the PSA worded it (Hansard, 7 March 2007)
    target = dataset.target("life_expectancy", "male")
    assert target["wording_source_id"] == "hansard_2007_03_07"
    assert target["wording"].startswith("By 2010 reduce inequalities in health outcomes by 10 per cent.")
    # the new figures that state their period and group
    assert obs.loc["cancer-persons-2005-07-gap-pct_change_absolute_gap-vs1995-97", "value"] == -13
    assert obs.loc["circulatory-persons-2003-05-gap-absolute_gap", "value"] == 26.4


def test_configuration(briefing):
    assert briefing.kind == "tables"
    assert briefing.title == "Health inequalities in England: progress on the 2010 targets"
    assert briefing.sections == {name: name for name in ("cancer", "circulatory", "infant_mortality", "life_expectancy")}
    assert briefing.label("all_nssec") == "all social groups"
    assert list(briefing.breaks["first_period"]) == ["2007-09"]


def test_context_as_of_an_edition(briefing):
    early = briefing.edition_of("2004-06").context
    # no figure about a period after 2004-06, and no undated figure from a source published after December 2007
    assert not early["period"].isin(["2005-07", "2006-08", "2007-09", "2008-10"]).any()
    assert "guardian_2010_10_28" not in set(early["source_id"])
    assert "cruk_2006_09_27" in set(early["source_id"])  # undated, published September 2006
    with (briefing.data_dir / "context.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(briefing.edition_of(None).context) == len(briefing.all_context) == len(rows)


# --- bad input: one line naming file, line, column and what was expected ---------------------


def test_missing_column(data_copy):
    rewrite(data_copy / "observations.csv", lambda rows: [c for c in rows[0] if c != "value"])
    with pytest.raises(DataError) as error:
        load_dataset(data_copy)
    message = str(error.value)
    assert message.endswith("observations.csv, line 1: missing column 'value' (expected columns: id, indicator, sex, period, group, measure, value, unit, reference_period, status, revision, preferred, source_id, quote, note)")
    assert "\n" not in message


def test_non_numeric_value(data_copy):
    def edit(rows):
        rows[4]["value"] = "18,4"
    rewrite(data_copy / "observations.csv", edit)
    with pytest.raises(DataError) as error:
        load_dataset(data_copy)
    # rows[4] is the 5th data row: line 6 of the file (the header is line 1)
    assert str(error.value).endswith("observations.csv, line 6, column 'value': expected a finite number, got '18,4'")


def test_malformed_period(data_copy):
    def edit(rows):
        rows[0]["period"] = "1995/97"
    rewrite(data_copy / "observations.csv", edit)
    with pytest.raises(DataError, match=r"observations.csv, line 2, column 'period': expected a period like 1995-97, got '1995/97'$"):
        load_dataset(data_copy)


def test_duplicate_key(data_copy):
    def edit(rows):
        copy = dict(rows[2])
        copy["id"] = "a-new-id"
        copy["value"] = "19.0"
        rows.append(copy)
    rewrite(data_copy / "observations.csv", edit)
    with pytest.raises(DataError) as error:
        load_dataset(data_copy)
    assert str(error.value).endswith(
        "observations.csv, line 109: expected a unique (indicator, sex, period, group, measure, reference_period) among rows with preferred = yes"
    )


def test_unknown_source(data_copy):
    def edit(rows):
        rows[9]["source_id"] = "nowhere"
    rewrite(data_copy / "observations.csv", edit)
    with pytest.raises(DataError, match=r"line 11, column 'source_id': expected a source_id of sources.csv, got 'nowhere'$"):
        load_dataset(data_copy)


def test_not_preferred_row_needs_a_reason(data_copy):
    def edit(rows):
        row = next(r for r in rows if r["preferred"] == "no")
        row["note"] = ""
    rewrite(data_copy / "observations.csv", edit)
    with pytest.raises(DataError, match="expected a note saying why a row that is not preferred is kept"):
        load_dataset(data_copy)


def test_bad_target(data_copy):
    def edit(rows):
        rows[1]["gap_measure"] = "ratio"
    rewrite(data_copy / "targets.csv", edit)
    with pytest.raises(DataError, match=r"targets.csv, line 3, column 'gap_measure': expected one of: absolute_gap, relative_gap_pct, got 'ratio'$"):
        load_dataset(data_copy)


def test_sex_the_indicator_is_not_reported_for(data_copy):
    def edit(rows):
        rows[0]["sex"] = "male"  # a cancer row; cancer is reported for persons only
    rewrite(data_copy / "observations.csv", edit)
    with pytest.raises(DataError, match=r"observations.csv, line 2, column 'sex': expected one of persons for indicator 'cancer' \(its sexes in indicators.csv\), got 'male'$"):
        load_dataset(data_copy)


def test_gap_row_with_a_population_group(data_copy):
    def edit(rows):
        rows[0]["group"] = "Spearhead"  # a published absolute gap must be about the gap itself
    rewrite(data_copy / "observations.csv", edit)
    with pytest.raises(DataError, match=r"observations.csv, line 2, column 'group': expected group 'gap' for the measures absolute_gap, "):
        load_dataset(data_copy)


def test_change_without_reference_period(data_copy):
    def edit(rows):
        row = next(r for r in rows if r["measure"] == "pct_change_absolute_gap")
        row["reference_period"] = ""  # a change from nowhere would be silently left out of the record
    rewrite(data_copy / "observations.csv", edit)
    with pytest.raises(DataError, match=r"observations.csv, line 5, column 'reference_period': expected a reference_period for the measures change, "):
        load_dataset(data_copy)


def test_missing_file(data_copy):
    (data_copy / "targets.csv").unlink()
    with pytest.raises(DataError, match="targets.csv: file not found"):
        load_dataset(data_copy)


def test_bad_data_stops_the_build_and_keeps_the_last_briefing(data_copy, tmp_path, capsys):
    from healthgap import cli

    out = tmp_path / "out"
    out.mkdir()
    (out / "briefing.html").write_text("the last good briefing")
    from healthgap.build import incremental# a briefing healthgap wrote: the manifest records it

    incremental.save_manifest(out, {"briefing_sha256": incremental.file_digest(out / "briefing.html")})

    def edit(rows):
        rows[4]["value"] = "n/a"
    rewrite(data_copy / "observations.csv", edit)
    status = cli.main(["build", "--data", str(data_copy), "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("error: ") and err.count("\n") == 1
    assert err.rstrip().endswith("observations.csv, line 6, column 'value': expected a finite number, got 'n/a'")
    assert (out / "briefing.html").read_text() == "the last good briefing"


def test_a_period_that_ends_before_it_starts():
    # "1999-01" crosses a century (1999 to 2001); "2006-04" does not end 98 years later: it is an error
    assert parse_period("1999-01") == (1999, 2001)
    with pytest.raises(ValueError, match="ends before it starts"):
        parse_period("2006-04")


def test_an_edition_cites_the_source_it_could_have_known_for_the_same_figure():
    """The circulatory baseline gap, 36.7 deaths per 100,000 in 1995-97: the latest edition cites Straight
    Statistics (December 2009), the preferred row; the 2004-06 edition, set at the December 2007 update, cites
    BBC News (4 January 2007), which gave the same 36.7 before it. Only the citation changes, never the figure."""
    import healthgap as hg

    def cited(as_of):
        o = hg.load(Path(__file__).resolve().parent.parent / "data", as_of).observations
        row = o[(o["indicator"] == "circulatory") & (o["period"] == "1995-97") & (o["measure"] == "absolute_gap")
                & (o["preferred"] == "yes")]
        assert len(row) == 1
        return row["source_id"].iloc[0], float(row["value"].iloc[0])

    assert cited(None) == ("straight_statistics_2009", 36.7)
    assert cited("2004-06") == ("bbc_2007_01_04", 36.7)
    # a preferred figure published later with no earlier source giving the same value stays as it is: the
    # infant-mortality relative gap of 17% in 2004-06 (BBC News, March 2008)
    o = hg.load(Path(__file__).resolve().parent.parent / "data", "2004-06").observations
    row = o[(o["indicator"] == "infant_mortality") & (o["period"] == "2004-06") & (o["measure"] == "relative_gap_pct")
            & (o["preferred"] == "yes")]
    assert float(row["value"].iloc[0]) == 17.0


def test_a_table_is_validated_again_when_a_table_its_schema_names_changes(data_copy):
    """Tables validated once are remembered by their bytes and those of the tables they must name: observations.csv
    unchanged but a source it cites removed from sources.csv is validated again, and refused."""
    first = load_dataset(data_copy)
    assert "bbc_2007_01_04" in set(first.observations["source_id"])
    again = load_dataset(data_copy)  # the same bytes: the same tables
    assert again.observations.equals(first.observations)

    def drop(rows):
        rows[:] = [r for r in rows if r["source_id"] != "bbc_2007_01_04"]

    rewrite(data_copy / "sources.csv", drop)
    with pytest.raises(DataError, match=r"observations\.csv, line \d+, column 'source_id': expected a source_id of "
                                        r"sources\.csv, got 'bbc_2007_01_04'"):
        load_dataset(data_copy)
