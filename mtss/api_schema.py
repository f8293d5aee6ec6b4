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


# The answers every operation can give besides its own (issue 16: 78 status codes were
# undocumented). They come from the shared machinery, not the view: the token check (401),
# the role check (403), a district's object or an out-of-range page (404), the request
# guards and serializers (400), the throttles (429) and the body size limits (413).
ERROR_RESPONSES = {
    "400": "Invalid input: `{field: [message, ...]}` naming each field or query parameter "
    "(a NUL byte in any parameter too), or `{detail: message}`.",
    "401": "No valid credentials: send `Authorization: Bearer mtss_...`.",
    "403": "Your role may not do this, or the token's district is not yours.",
    "404": "No such object in your district (another district's object reads the same), or no such page.",
    "413": "The request body is larger than the server accepts.",
    "429": "Too many requests: wait the `Retry-After` seconds.",
}
WRITE_METHODS = {"post", "put", "patch"}


def document_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: add the shared error answers to every operation."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault(
        "Error",
        {
            "type": "object",
            "description": "`detail`, or one list of messages per field.",
            "properties": {"detail": {"type": "string"}},
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    )
    body = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, description in ERROR_RESPONSES.items():
                if code == "413" and method not in WRITE_METHODS:
                    continue
                responses.setdefault(code, {"description": description, "content": body})
    return result
