"""Route ids of the sign-in settings pages (tests/test_tenancy_urls.py)."""

import itertools

_seq = itertools.count(1)


def _provider(side):
    from tests.sso.helpers import make_provider

    return make_provider(side.district, issuer="http://localhost:9", name=f"SSO {next(_seq)}").pk


OBJECT_IDS = {"idp_id": _provider}
