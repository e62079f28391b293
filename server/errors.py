"""The API's errors: each a stable code, an HTTP status and a message a cashier can read."""

from __future__ import annotations

from till.errors import TillError


class ApiError(TillError):
    status = 400


class NotFound(ApiError):
    code = "not_found"
    status = 404


class Conflict(ApiError):
    code = "conflict"
    status = 409


class Unauthorized(ApiError):
    code = "unauthorized"
    status = 401


class Forbidden(ApiError):
    code = "forbidden"
    status = 403


class Invalid(ApiError):
    code = "invalid"
    status = 422


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}
