"""Every service's OpenAPI tells the truth about errors: each operation documents the problem+json
answers it can give, so clients and tools (schemathesis in CI) can hold it to them.

What an operation can answer follows from its shape, the same way in every service: 400 and
413 where it takes a body (unreadable, too large); 401 and 403 where it needs credentials; 404
where its path names an object (someone else's object answers 404 too); 409 on writes (a
conflicting state or a concurrent duplicate Idempotency-Key); 422 where it takes any input
(validation names the field); 429 where a rate limit applies (declared by the route, or
`x-rate-limited`); 503 everywhere (the service is up but its database is not yet). Each is
`application/problem+json` with the `Problem` schema.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from libs.errors import PROBLEM_JSON
from libs.request_guard import MAX_PARAMETER_LENGTH

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "A URI naming the kind of problem."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path."},
        "errors": {
            "type": "array",
            "description": "One entry per invalid field.",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"},
                               "code": {"type": "string"}},
            },
        },
    },
    "additionalProperties": True,
}

DESCRIPTIONS = {
    400: "The body could not be read (not JSON, or not in the declared media type).",
    401: "Not authenticated: no credentials, or invalid or expired ones.",
    403: "Authenticated, but the caller's role or account standing does not allow this.",
    404: "No such object, or one the caller may not see.",
    409: "The object's state does not allow this, or a request with the same "
         "Idempotency-Key is still running.",
    413: "The request body is larger than this operation accepts.",
    422: "Invalid input; `errors[].field` names each offending field.",
    429: "Too many requests; retry after `Retry-After` seconds.",
    503: "The service is starting or a server it needs is unreachable; retry after "
         "`Retry-After` seconds.",
}
WRITES = {"post", "put", "patch", "delete"}
WITH_BODY = {"post", "put", "patch"}


def _problem_response(status: int, description: str | None = None) -> dict[str, Any]:
    return {"description": description or DESCRIPTIONS.get(status, "A problem."),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def error_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    statuses = [503]
    if operation.get("security"):
        statuses += [401, 403]
    if "{" in path:
        statuses.append(404)
    if method in WRITES:
        statuses.append(409)
    if method in WITH_BODY:
        statuses += [400, 413]
    if operation.get("parameters") or operation.get("requestBody") or operation.get("security"):
        statuses.append(422)
    if operation.get("x-rate-limited") or _takes_api_keys(operation):
        statuses.append(429)  # an API key's budget (libs.rate_limit.api_key_budget)
    return sorted(statuses)


def _takes_api_keys(operation: dict[str, Any]) -> bool:
    return any("ApiKey" in name or "APIKey" in name
               for requirement in operation.get("security") or [] for name in requirement)


NO_NUL = "^[^\\u0000]*$"
"""Text never holds a NUL character (`libs.request_guard` refuses it: Postgres cannot store it)."""


def document_text_limits(node: Any, *, parameter: bool = False) -> None:
    """States in the schemas what `libs.request_guard` enforces: no NUL in any string or
    property name, and path and query strings of bounded length (in place)."""
    if isinstance(node, list):
        for item in node:
            document_text_limits(item)
        return
    if not isinstance(node, dict):
        return
    if node.get("type") == "string" and not {"enum", "const", "format"} & node.keys():
        if "pattern" not in node:
            node["pattern"] = NO_NUL
        if parameter and "maxLength" not in node:
            node["maxLength"] = MAX_PARAMETER_LENGTH
    if node.get("type") == "object" and node.get("additionalProperties") is not False:
        node.setdefault("propertyNames", {"pattern": NO_NUL})
    for key, value in node.items():
        if key == "parameters" and isinstance(value, list):
            for parameter_node in value:
                if isinstance(parameter_node, dict) and "schema" in parameter_node:
                    document_text_limits(parameter_node["schema"], parameter=True)
        elif key not in ("examples", "example", "default"):
            document_text_limits(value, parameter=parameter)


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds the problem answers to every operation of an OpenAPI document (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            declared = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
            for status in sorted(declared | set(error_statuses(method, path, operation))):
                # A route's own words about an error it declared are kept; its body is a problem.
                own = responses.get(str(status), {}).get("description")
                keep = own if own and own != "Validation Error" else None
                responses[str(status)] = _problem_response(status, keep)
    return schema


def install(app: FastAPI) -> None:
    """The app's `/openapi.json` documents its problems (built once, like FastAPI's own)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = document_problems(get_openapi(
                title=app.title, version=app.version, description=app.description,
                routes=app.routes, servers=app.servers))
            document_text_limits(schema.get("paths", {}))
            document_text_limits({name: body for name, body
                                  in schema.get("components", {}).get("schemas", {}).items()
                                  if name != "Problem"})  # a problem quotes what it refuses
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
