"""Route ids of the sign-in pages (tests/test_tenancy_urls.py)."""

import itertools

_seq = itertools.count(1)


def _provider(side):
    from tests.sso.helpers import make_provider

    return make_provider(side.district, issuer="http://localhost:9", name=f"SSO {next(_seq)}")


def _key(side):
    from mtss.sso.providers import provider_key

    return provider_key(side.district, _provider(side))


OBJECT_IDS = {
    "idp_id": lambda side: _provider(side).pk,
    # allauth's URLs name a district's provider by its key (public routes: the sign-in steps).
    "provider_id": _key,
    "organization_slug": _key,
    "district_slug": lambda side: side.district.slug,
}
