"""REST API for interventions: the library, tier placements, plans (with phases,
probes and their evaluation), groups and session logs (one or in bulk).

Thin views over interventions.selectors and interventions.services, as in
students/api.py. Every object is looked up through a district- and
user-scoped selector first, so another district's id answers 404 exactly like a
missing one; then the role is checked (403); then the body is validated (400,
naming the field: the services' ValidationErrors pass through
mtss.api_errors).

One module per resource (library, placements, plans, probes, groups, sessions);
common.py holds the role checks and JSON helpers, fields.py the scoped relation
fields shared by their serializers. Routes: interventions/api_urls.py.
"""
