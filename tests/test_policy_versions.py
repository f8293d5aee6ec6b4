"""Policy versions: stored per district, effective-dated, edited with validation, compared."""

import datetime as dt
import json

import pytest
from django.urls import reverse

from mtss.models import PolicyVersion
from mtss.policy import PolicyValidationError, preset_data
from mtss.policy_diff import policy_diff
from mtss.selectors import policy_current
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def _create(side, data=None, effective="2026-08-01", actor=None):
    with tenant_context(side.district):
        return policy_version_create(
            district=side.district, actor=actor, data=data or preset_data("loudon-county-tn"), effective_from=effective
        )


def test_it_numbers_versions_per_district_and_keeps_old_ones(world):
    first = _create(world.a)
    changed = preset_data("loudon-county-tn")
    changed["title"] = "Loudon, revised"
    second = _create(world.a, changed, effective="2027-01-05")
    other = _create(world.b)
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert second.label == "loudon-county-tn@2"
    with tenant_context(world.a.district):
        assert PolicyVersion.objects.filter(district=world.a.district).count() == 2


def test_it_picks_the_version_in_effect_on_a_date(world):
    first = _create(world.a)
    second = _create(world.a, effective="2027-01-05")
    with tenant_context(world.a.district):
        assert policy_current(district=world.a.district, as_of=dt.date(2026, 12, 1)) == first
        assert policy_current(district=world.a.district, as_of=dt.date(2027, 1, 5)) == second
        assert policy_current(district=world.a.district, as_of=dt.date(2026, 7, 1)) is None


def test_it_refuses_an_invalid_document_and_saves_nothing(world):
    bad = preset_data("loudon-county-tn")
    bad["tiers"][1]["dosage"]["minutes_per_session"] = -5
    with pytest.raises(PolicyValidationError) as caught:
        _create(world.a, bad)
    assert any("tiers[1].dosage.minutes_per_session" in e.path for e in caught.value.errors)
    with tenant_context(world.a.district):
        assert PolicyVersion.objects.filter(district=world.a.district).count() == 0


def test_the_diff_names_each_changed_value():
    old = {"tiers": [{"number": 2, "dosage": {"minutes_per_session": 30}}], "title": "A"}
    new = {"tiers": [{"number": 2, "dosage": {"minutes_per_session": 45}}], "areas": ["math"], "title": "A"}
    changes = {(c.path, c.kind, c.old, c.new) for c in policy_diff(old, new)}
    assert changes == {("tiers[0].dosage.minutes_per_session", "changed", 30, 45), ("areas[0]", "added", None, "math")}


def test_the_editor_saves_a_valid_version(world, login):
    data = preset_data("holland-patent-ny")
    response = login(world.a.district_admin).post(
        reverse("policy_edit"),
        {
            "document": json.dumps(data),
            "effective_from": "2026-09-01",
            "note": "adopt Holland Patent rules",
        },
    )
    assert response.status_code == 302
    with tenant_context(world.a.district):
        version = PolicyVersion.objects.get(district=world.a.district)
    assert version.name == "holland-patent-ny" and version.created_by == world.a.district_admin


def test_the_editor_lists_field_errors_and_keeps_the_text(world, login):
    data = preset_data("loudon-county-tn")
    data["decision_rules"]["unknown_rule"] = 1
    text = json.dumps(data)
    response = login(world.a.district_admin).post(
        reverse("policy_edit"), {"document": text, "effective_from": "2026-09-01"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "decision_rules.unknown_rule" in body
    assert "unknown_rule" in response.context["form"]["document"].value()


def test_the_editor_points_at_the_line_of_broken_json(world, login):
    response = login(world.a.district_admin).post(
        reverse("policy_edit"), {"document": '{\n  "name": "x",\n  oops\n}', "effective_from": "2026-09-01"}
    )
    assert "line 3" in str(response.context["form"].errors["document"])


def test_only_district_admins_edit_but_members_can_read(world, login):
    assert login(world.a.principal).get(reverse("policy_edit")).status_code == 404
    _create(world.a)
    assert login(world.a.principal).get(reverse("policy")).status_code == 200


def test_the_compare_page_shows_the_differences(world, login):
    first = _create(world.a)
    changed = preset_data("loudon-county-tn")
    changed["title"] = "Loudon, revised"
    second = _create(world.a, changed)
    response = login(world.a.principal).get(reverse("policy_compare"), {"a": first.pk, "b": second.pk})
    assert [c.path for c in response.context["changes"]] == ["title"]


def test_the_load_and_show_commands(world, capsys, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command(
        "policy",
        "load",
        "--district",
        "district-a",
        "--preset",
        "ohio-virtual-academy",
        "--effective-from",
        "2026-08-01",
    )
    assert "loaded ohio-virtual-academy@1" in capsys.readouterr().out
    call_command("policy", "show", "--district", "district-a", "--as-of", "2026-09-01")
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == "ohio-virtual-academy@1" and shown["document"]["name"] == "ohio-virtual-academy"
    broken = preset_data("loudon-county-tn")
    broken["tiers"][0]["number"] = 7
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(broken))
    with pytest.raises(CommandError) as caught:
        call_command("policy", "load", "--district", "district-a", str(path))
    assert caught.value.returncode == 2 and "tiers" in str(caught.value)
    with pytest.raises(CommandError) as caught:
        call_command("policy", "load", "--district", "nowhere", "--preset", "lausd-secondary")
    assert "--district" in str(caught.value)
