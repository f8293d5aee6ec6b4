"""Single sign-on per district and MFA, on django-allauth (issue 15, README "Single sign-on").

A district's providers are rows of mtss.models.IdentityProvider (district-scoped, row-level
security like every district table). allauth never reads its own SocialApp table here:
mtss.sso.adapters builds the app from the district's row when allauth asks for it, keyed
`<district-slug>.<provider id>` in allauth's URLs, so one district's provider can never
answer for another's.
"""
