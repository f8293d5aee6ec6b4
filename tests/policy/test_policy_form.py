"""The policy editor for people (issue 14, scope 5): a form per section generated from the
schema, cut-score grids, errors beside the field in words, saving through
policy_version_create with the JSON editor's validation."""

import json

import pytest
from django.urls import reverse

from mtss.models import PolicyVersion
from mtss.policy import PolicyError, PolicyValidationError, preset_data, validate_policy
from mtss.policy_form import SectionForm, error_messages, humanize_message, label_for_loc, parse_path, sections
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context

# --- the error-label mapping (no database) -------------------------------------------------


def test_a_path_becomes_a_location():
    assert parse_path("tiers[1].dosage.minutes_per_session") == ("tiers", 1, "dosage", "minutes_per_session")
    assert parse_path('notes["tiers.1.name"].source') == ("notes", "tiers.1.name", "source")
    assert parse_path("(document)") == ()


def test_a_location_gets_a_human_label():
    data = preset_data("loudon-county-tn")
    assert label_for_loc(data, ("tiers", 1, "dosage", "minutes_per_session")) == (
        "Tier 2 (Tier II) › Dosage › Minutes per session"
    )
    measure = data["screening"]["measures"][0]["name"]
    assert label_for_loc(data, ("screening", "measures", 0, "risk", "bands", 0)) == (
        f"Screening › {measure} › Risk › {data['screening']['measures'][0]['risk']['bands'][0]['label']}"
    )
    assert label_for_loc(data, ()) == "The whole policy"


def test_schema_names_in_a_message_become_words():
    assert humanize_message("must be at least consecutive_points (4)") == "must be at least “Consecutive points” (4)"
    assert humanize_message("unknown content block 'foo_bar'") == "unknown content block 'foo_bar'"


def _labelled(data):
    with pytest.raises(PolicyValidationError) as caught:
        validate_policy(data)
    return {label: message for _loc, label, message in error_messages(caught.value.errors, data)}


def test_validation_errors_map_to_labels_not_paths():
    data = preset_data("loudon-county-tn")
    data["tiers"][1]["dosage"]["minutes_per_session"] = -5
    assert _labelled(data) == {"Tier 2 (Tier II) › Dosage › Minutes per session": "must be at least 1, got -5"}
    # A check across fields (run once the fields are valid) names the field in words too.
    data = preset_data("loudon-county-tn")
    data["decision_rules"]["four_point"] = {"consecutive_points": 5, "min_points": 4}
    assert _labelled(data) == {"Decision rules › Four point › Min points": "must be at least “Consecutive points” (5)"}


def test_every_section_has_a_form_that_round_trips_unchanged():
    for preset in ("loudon-county-tn", "holland-patent-ny", "ohio-virtual-academy", "lausd-secondary"):
        data = preset_data(preset)
        for key, _title in sections():
            form = SectionForm(data, key)
            assert form.bind({}) == data, (preset, key)
    keys = [key for key, _ in sections()]
    for needed in ("tiers", "screening", "decision_rules", "parent_contact", "calendar", "fidelity"):
        assert needed in keys


def test_fields_carry_help_from_the_schema_and_the_source_note():
    form = SectionForm(preset_data("loudon-county-tn"), "tiers")
    by_name = {f.name: f for f in form.fields()}
    assert "Holland Patent's Tier 4" in by_name["tiers.0.special_education"].help  # the schema's comment
    assert by_name["tiers.1.dosage.minutes_per_session"].kind == "int"
    assert by_name["tiers.0.name"].note.startswith("Loudon County Schools")  # the document's note
    assert "“" in by_name["tiers.0.name"].note


def test_the_cut_score_grid_writes_rows():
    data = preset_data("ohio-virtual-academy")
    form = SectionForm(data, "screening")
    grid = next(group.grid for group in form.groups if group.grid)
    assert grid.seasons == ["fall", "winter", "spring"]
    cell = next(c for c in grid.cells() if c.grade == 1 and c.season == "winter")
    assert cell.label == "Cut score, Grade 1, winter"
    new = form.bind({cell.name: "42.5"})
    rows = new["screening"]["measures"][1]["risk"]["rows"]
    assert rows == [{"grade": 1, "season": "winter", "below": 42.5}]
    validate_policy(new)


# --- the pages (real PostgreSQL) --------------------------------------------------------------


def _install(side, preset="loudon-county-tn"):
    with tenant_context(side.district):
        return policy_version_create(
            district=side.district, actor=None, data=preset_data(preset), effective_from="2026-08-01"
        )


def _versions(side):
    with tenant_context(side.district):
        return list(PolicyVersion.objects.filter(district=side.district).order_by("version"))


def _post_section(client, section, document, changes, action="save"):
    form = SectionForm(document, section)
    payload = {f.name: f.initial for f in form.fields()}
    for group in form.groups:
        if group.grid:
            payload.update({c.name: c.initial for c in group.grid.cells()})
    payload.update(changes)
    payload.update({"effective_from": "2026-09-01", "note": "from the form", "action": action})
    return client.post(reverse("policy_section_edit", kwargs={"section": section}), payload)


SECTION_CHANGES = [
    ("about", "title", "Loudon, revised", lambda d: d["title"], "Loudon, revised"),
    ("tiers", "tiers.1.dosage.minutes_per_session", "45", lambda d: d["tiers"][1]["dosage"]["minutes_per_session"], 45),
    ("decision_rules", "decision_rules.min_weeks", "4", lambda d: d["decision_rules"]["min_weeks"], 4.0),
    ("fidelity", "fidelity.threshold_percent", "85", lambda d: d["fidelity"]["threshold_percent"], 85.0),
    (
        "calendar",
        "calendar.instructional_weekdays",
        "mon, tue, wed, thu",
        lambda d: d["calendar"]["instructional_weekdays"],
        ["mon", "tue", "wed", "thu"],
    ),
    (
        "parent_contact",
        "parent_contact.notices.0.within_days",
        "12",
        lambda d: d["parent_contact"]["notices"][0]["within_days"],
        12,
    ),
    ("progress_monitoring", "progress_monitoring.grace_days", "3", lambda d: d["progress_monitoring"]["grace_days"], 3),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("section", "name", "typed", "read", "expected"), SECTION_CHANGES)
def test_saving_a_section_creates_a_version_with_that_value(world, login, section, name, typed, read, expected):
    current = _install(world.a)
    client = login(world.a.district_admin)
    page = client.get(reverse("policy_section_edit", kwargs={"section": section}))
    assert page.status_code == 200 and f'name="{name}"' in page.content.decode()
    response = _post_section(client, section, current.document, {name: typed})
    assert response.status_code == 302, response.content.decode()[:2000]
    versions = _versions(world.a)
    assert len(versions) == 2 and versions[1].created_by == world.a.district_admin
    assert read(versions[1].document) == expected
    # Only the typed value changed.
    from mtss.policy_diff import policy_diff

    assert len(policy_diff(current.document, versions[1].document)) >= 1
    assert all(
        c.path.startswith(section if section != "about" else "title")
        for c in policy_diff(current.document, versions[1].document)
    )


@pytest.mark.django_db
def test_a_bad_value_is_shown_beside_its_field_in_words_and_nothing_is_saved(world, login):
    current = _install(world.a)
    client = login(world.a.district_admin)
    response = _post_section(client, "tiers", current.document, {"tiers.1.dosage.minutes_per_session": "0"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="f-tiers-1-dosage-minutes_per_session-error"' in body
    assert "Tier 2 (Tier II) › Dosage › Minutes per session: must be at least 1, got 0" in body
    assert "tiers[1]" not in body
    assert len(_versions(world.a)) == 1


@pytest.mark.django_db
def test_a_cross_field_error_is_beside_the_field(world, login):
    current = _install(world.a)
    response = _post_section(
        login(world.a.district_admin),
        "decision_rules",
        current.document,
        {"decision_rules.four_point.min_points": "2", "decision_rules.four_point.consecutive_points": "4"},
    )
    assert response.status_code == 400
    field = next(f for f in response.context["editor"].fields() if f.name == "decision_rules.four_point.min_points")
    assert field.errors == ["must be at least “Consecutive points” (4)"]
    assert len(_versions(world.a)) == 1


@pytest.mark.django_db
def test_text_in_a_number_field_is_refused_beside_it(world, login):
    current = _install(world.a)
    response = _post_section(
        login(world.a.district_admin), "fidelity", current.document, {"fidelity.threshold_percent": "inf"}
    )
    assert response.status_code == 400
    field = next(f for f in response.context["editor"].fields() if f.name == "fidelity.threshold_percent")
    assert field.errors == ["must be a finite number, got “inf”"]
    assert len(_versions(world.a)) == 1


@pytest.mark.django_db
def test_the_cut_score_grid_saves_and_refuses_a_bad_cell(world, login):
    current = _install(world.a, "ohio-virtual-academy")
    client = login(world.a.district_admin)
    page = client.get(reverse("policy_section_edit", kwargs={"section": "screening"})).content.decode()
    assert 'aria-label="Cut score, Grade 1, winter"' in page and '<th scope="row">Grade 1</th>' in page
    cell = "screening.measures.1.risk.cut.1.winter"
    bad = _post_section(client, "screening", current.document, {cell: "abc"})
    assert bad.status_code == 400 and "must be a number, got “abc”" in bad.content.decode()
    assert len(_versions(world.a)) == 1
    good = _post_section(client, "screening", current.document, {cell: "37"})
    assert good.status_code == 302
    rows = _versions(world.a)[1].document["screening"]["measures"][1]["risk"]["rows"]
    assert rows == [{"grade": 1, "season": "winter", "below": 37.0}]


@pytest.mark.django_db
def test_review_shows_the_diff_before_saving(world, login):
    current = _install(world.a)
    response = _post_section(
        login(world.a.district_admin), "fidelity", current.document, {"fidelity.threshold_percent": "85"}, "review"
    )
    assert response.status_code == 200
    assert [c.path for c in response.context["changes"]] == ["fidelity.threshold_percent"]
    assert len(_versions(world.a)) == 1


@pytest.mark.django_db
def test_only_policy_editors_reach_the_section_forms(world, login):
    _install(world.a)
    url = reverse("policy_section_edit", kwargs={"section": "tiers"})
    assert login(world.a.principal).get(url).status_code == 404
    assert login(world.a.district_admin).get("/policy/edit/nope/").status_code == 404


@pytest.mark.django_db
def test_the_json_editor_labels_its_errors_in_words(world, login):
    data = preset_data("loudon-county-tn")
    data["tiers"][1]["dosage"]["minutes_per_session"] = -5
    response = login(world.a.district_admin).post(
        reverse("policy_edit"), {"document": json.dumps(data), "effective_from": "2026-09-01"}
    )
    body = response.content.decode()
    assert "<strong>Tier 2 (Tier II) › Dosage › Minutes per session</strong>: must be at least 1, got -5" in body
    assert PolicyError  # the JSON editor keeps the path too, small, for people who type JSON
    assert "tiers[1].dosage.minutes_per_session" in body
