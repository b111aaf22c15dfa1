"""The scene breakdown: rows from the source Document, names through the current cast."""

from __future__ import annotations

import csv
import io

import pytest

from tests.helpers import reload, run_until_idle
from transformations.models import TransformationJob
from universes.breakdown import CSV_HEADER, SceneRow, scene_breakdown, scene_breakdown_csv
from universes.cast_services import character_hide, character_merge, character_rename
from universes.models import Universe

pytestmark = pytest.mark.django_db


@pytest.fixture
def universe(make_job, time_spent_script) -> Universe:
    job = make_job(time_spent_script)
    run_until_idle()
    return reload(job).output_universe


def test_one_row_per_scene_with_heading_place_and_time(universe):
    rows = scene_breakdown(universe=universe)

    assert [row.number for row in rows] == [1, 2, 3, 4, 5]
    first = rows[0]
    assert first.heading == "INT. COFFEE SHOP - DAY"
    assert (first.location, first.int_ext, first.time_of_day) == ("Coffee Shop", "INT", "DAY")
    assert first.card_day_index == 1
    assert {"Elena", "Marcus", "Priya"} <= set(first.characters_present)
    assert {"Elena", "Marcus", "Priya"} <= set(first.characters_speaking)
    night = rows[2]
    assert (night.int_ext, night.time_of_day) == ("EXT", "NIGHT")
    # Marcus only arrives at a run in the stage directions: present, never speaking.
    assert "Marcus" in night.characters_present
    assert "Marcus" not in night.characters_speaking


def test_csv_has_the_header_and_a_filled_row_per_scene(universe):
    text = scene_breakdown_csv(scene_breakdown(universe=universe))

    header, *rows = list(csv.reader(io.StringIO(text)))
    assert tuple(header) == CSV_HEADER
    assert len(rows) == 5
    by_column = [dict(zip(header, row, strict=True)) for row in rows]
    assert all(row["INT/EXT"] in {"INT", "EXT"} for row in by_column)
    assert all(row["Time of day"] in {"DAY", "NIGHT"} for row in by_column)
    coffee_shop = [row for row in by_column if row["Location"] == "Coffee Shop"]
    assert len(coffee_shop) == 3
    for row in coffee_shop:
        assert "Elena" in row["Characters present"]
        assert "Marcus" in row["Characters present"]


def test_the_report_follows_renames_merges_and_hides(universe, user):
    characters = {c.key: c for c in universe.characters.all()}
    character_rename(universe=universe, character=characters["elena"], name="Lena", user=user)
    character_merge(
        universe=universe, source=characters["priya"], target=characters["marcus"], user=user
    )
    character_hide(universe=universe, character=characters["abernathy"], user=user)

    rows = scene_breakdown(universe=universe)

    everyone = {name for row in rows for name in row.characters_present}
    assert everyone == {"Lena", "Marcus"}
    assert "Lena" in rows[0].characters_speaking


def test_prose_sources_give_sections_with_blank_scene_fields(make_job, time_spent_pack):
    job = make_job(time_spent_pack, filename="time-spent.storypack.json")
    run_until_idle()
    universe = reload(job).output_universe

    rows = scene_breakdown(universe=universe)

    assert len(rows) == universe.cards.count()
    assert rows[0].heading
    assert all(row.int_ext == "" and row.time_of_day == "" for row in rows)
    assert "Elena" in rows[0].characters_present


def test_without_the_source_job_each_card_is_a_row(universe):
    TransformationJob.objects.filter(pk=universe.source_job_id).delete()
    universe.refresh_from_db()

    rows = scene_breakdown(universe=universe)

    assert [row.number for row in rows] == [1, 2, 3, 4, 5]
    assert rows[0].location == "Coffee Shop"
    assert "Elena" in rows[0].characters_present
    assert rows[0].characters_speaking == ()


def test_the_breakdown_reads_a_fixed_number_of_queries(universe, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        scene_breakdown(universe=universe)


def test_csv_cells_that_look_like_formulas_are_made_inert():
    row = SceneRow(1, 1, '=HYPERLINK("x")', "@home", "", "", ("+Eve",), ())

    text = scene_breakdown_csv([row])

    cells = list(csv.reader(io.StringIO(text)))[1]
    assert cells[2:5] == ['\'=HYPERLINK("x")', "'@home", ""]
    assert cells[6] == "'+Eve"
