"""mtss/events.py: the named events and who subscribes to them (AppConfig.ready)."""

import pytest

from mtss import events
from notifications.services import notices_for_event
from screening.apps import _policy_changed


def test_the_apps_subscribe_to_the_events_they_handle():
    # screening.tasks.policy_changed, through a wrapper that imports it (and Celery) when called.
    assert events._handlers[events.POLICY_CHANGED] == [_policy_changed]
    assert events._handlers[events.DECISION_NOTICE_DUE] == [notices_for_event]


def test_an_unknown_event_is_refused():
    with pytest.raises(ValueError, match="Unknown event"):
        events.announce("policy.chnaged", district_id=1)
    with pytest.raises(ValueError, match="Unknown event"):
        events.subscribe("nothing", print)


def test_subscribing_twice_runs_the_handler_once(monkeypatch):
    calls = []

    def handler(**kwargs):
        calls.append(kwargs)

    monkeypatch.setitem(events._handlers, events.POLICY_CHANGED, [])
    events.subscribe(events.POLICY_CHANGED, handler)
    events.subscribe(events.POLICY_CHANGED, handler)
    events.announce(events.POLICY_CHANGED, district_id=7, effective_from=None)
    assert calls == [{"district_id": 7, "effective_from": None}]
