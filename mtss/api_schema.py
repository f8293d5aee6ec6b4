"""OpenAPI description of the district token (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DistrictTokenScheme(OpenApiAuthenticationExtension):
    target_class = "mtss.api_auth.DistrictTokenAuthentication"
    name = "districtToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token of one district: `Authorization: Bearer mtss_...` "
            "(create one with `manage.py create_api_token`).",
        }
