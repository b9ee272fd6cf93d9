"""The OpenAPI schema tells the truth about errors: every operation may answer 4XX or 5XX with the one error
shape of config.api_errors ({"error": {"code", "message", "fields"}}), so a client (and the schemathesis test,
tests/test_api_schema.py) can rely on it."""

from typing import Any

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": True,
                    "description": "Each offending input field with its messages (nested for nested input).",
                },
            },
        }
    },
}

ERROR_RESPONSES = {
    "4XX": "The request was refused: bad input, not authenticated, not allowed, not found, too big.",
    "5XX": "A server error, or a brief outage (503 with Retry-After): what was not confirmed was not saved.",
}


def document_errors(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the `Error` component, and 4XX/5XX answers in it on every operation."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    response = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for status, description in ERROR_RESPONSES.items():
                operation.setdefault("responses", {}).setdefault(status, {"description": description, **response})
    return result
