"""The family portal (issue 18 items 1-3): guardian accounts by invitation, the family view
of a child's supports, progress, meetings and letters, acknowledgements and messages with
the team. Guardian accounts are not staff users: they sign in with their own session key
(notifications.portal.auth) that no staff decorator or API authentication reads."""
