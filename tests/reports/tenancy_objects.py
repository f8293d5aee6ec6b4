"""Route ids of the reports app, for the cross-district URL check (tests/test_tenancy_urls.py)."""

OBJECT_IDS = {
    "school_id": lambda side: side.school.pk,
}
