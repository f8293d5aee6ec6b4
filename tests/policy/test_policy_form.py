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


# --- adding and removing items of a list (no script needed: plain submit buttons) ------------------


def _post_page(client, section, response, changes, action="save"):
    """Post the page `response` showed (its working copy and every value), with `changes` typed."""
    editor = response.context["editor"]
    payload = {f.name: f.value for f in editor.fields()}
    for group in editor.groups:
        if group.grid:
            payload.update({c.name: c.value for c in group.grid.cells()})
    payload.update({"draft": response.context["draft"], "effective_from": "2026-09-01", "note": "lists"})
    payload.update(changes)
    if action:
        payload["action"] = action
    return client.post(reverse("policy_section_edit", kwargs={"section": section}), payload)


@pytest.mark.django_db
def test_each_item_of_a_list_has_a_remove_button_and_the_list_an_add_button(world, login):
    _install(world.a)
    page = login(world.a.district_admin).get(reverse("policy_section_edit", kwargs={"section": "meetings"}))
    body = page.content.decode()
    meetings = preset_data("loudon-county-tn")["meetings"]
    for index in range(len(meetings)):
        assert f'name="list_action" value="remove:meetings.{index}"' in body
    assert body.count('name="list_action" value="add:meetings"') == 1
    assert (
        "Add another meeting" in body
        and f'Remove this meeting<span class="visually-hidden">: {meetings[0]["title"]}' in body
    )


@pytest.mark.django_db
def test_an_item_is_added_filled_in_and_saved_with_the_diff_first(world, login):
    current = _install(world.a)
    client = login(world.a.district_admin)
    page = client.get(reverse("policy_section_edit", kwargs={"section": "meetings"}))
    count = len(current.document["meetings"])
    # "Add another meeting", with a value typed in an existing item on the way: both are kept.
    added = _post_page(
        client, "meetings", page, {"meetings.0.title": "After each benchmark", "list_action": "add:meetings"}, None
    )
    assert added.status_code == 200
    assert len(_versions(world.a)) == 1  # nothing saved
    body = added.content.decode()
    assert f'id="f-meetings-{count}-key" name="meetings.{count}.key" value="" type="text" autofocus' in body
    assert 'value="After each benchmark"' in body
    assert f"Added Meeting {count + 1} at the end of Meetings; fill it in." in body
    # Left empty, its required values are refused beside each field, in words.
    empty = _post_page(client, "meetings", added, {})
    assert empty.status_code == 400 and len(_versions(world.a)) == 1
    assert f"Meeting {count + 1} › Key: is required" in empty.content.decode()
    new = {
        f"meetings.{count}.key": "parent-night",
        f"meetings.{count}.title": "Parent night",
        f"meetings.{count}.team": current.document["meetings"][0]["team"],
        f"meetings.{count}.event": "tier_start",
    }
    review = _post_page(client, "meetings", added, new, "review")
    assert review.status_code == 200 and len(_versions(world.a)) == 1
    paths = {c.path for c in review.context["changes"]}
    assert {"meetings[0].title", f"meetings[{count}].key", f"meetings[{count}].event"} <= paths
    saved = _post_page(client, "meetings", review, new)
    assert saved.status_code == 302, saved.content.decode()[:3000]
    document = _versions(world.a)[1].document
    assert len(document["meetings"]) == count + 1 and document["meetings"][0]["title"] == "After each benchmark"
    meeting = document["meetings"][count]
    assert (meeting["key"], meeting["title"], meeting["event"]) == ("parent-night", "Parent night", "tier_start")
    # Values left at their default stay absent (the default applies), as "Yes" showed.
    assert "parents_invited" not in meeting and validate_policy(document).meetings[count].parents_invited is True


@pytest.mark.django_db
def test_an_item_is_removed_with_its_source_notes_and_saved(world, login):
    current = _install(world.a)
    client = login(world.a.district_admin)
    page = client.get(reverse("policy_section_edit", kwargs={"section": "meetings"}))
    first, second = current.document["meetings"][:2]
    removed = _post_page(client, "meetings", page, {"list_action": "remove:meetings.0"}, None)
    assert removed.status_code == 200 and len(_versions(world.a)) == 1
    assert f"Removed {first['title']}." in removed.content.decode()
    saved = _post_page(client, "meetings", removed, {})
    assert saved.status_code == 302, saved.content.decode()[:3000]
    document = _versions(world.a)[1].document
    assert document["meetings"][0] == second and len(document["meetings"]) == len(current.document["meetings"]) - 1
    # The notes moved with their items: the second meeting's source note now names meetings.0.
    old_notes = {k for k in current.document["notes"] if k.startswith("meetings.1.")}
    assert old_notes and {k.replace("meetings.1.", "meetings.0.", 1) for k in old_notes} <= set(document["notes"])


@pytest.mark.django_db
def test_removing_what_the_policy_still_uses_is_refused_in_words(world, login):
    _install(world.a)
    client = login(world.a.district_admin)
    page = client.get(reverse("policy_section_edit", kwargs={"section": "teams"}))
    team = page.context["editor"].document["teams"][0]
    removed = _post_page(client, "teams", page, {"list_action": "remove:teams.0"}, None)
    refused = _post_page(client, "teams", removed, {})
    assert refused.status_code == 400 and len(_versions(world.a)) == 1
    assert f"no team &#x27;{team['key']}&#x27; in this policy" in refused.content.decode()


@pytest.mark.django_db
def test_a_stale_list_action_is_a_message_not_an_error_page(world, login):
    _install(world.a)
    client = login(world.a.district_admin)
    page = client.get(reverse("policy_section_edit", kwargs={"section": "meetings"}))
    response = _post_page(client, "meetings", page, {"list_action": "remove:meetings.99"}, None)
    assert response.status_code == 400
    assert "That item is no longer in the list; the page was out of date." in response.content.decode()
    response = _post_page(client, "meetings", page, {"list_action": "add:tiers"}, None)
    assert response.status_code == 400 and "does not fit this section" in response.content.decode()
