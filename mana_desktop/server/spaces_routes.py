"""HTTP routes for Spaces: Better Auth's `organization/*` and mana-auth's internal lookups.

Shapes and error bodies: docs/server.md "Spaces". Upstream authenticates the organization
routes with the session cookie; we also take `Authorization: Bearer <JWT>` (extension).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mana_desktop.server.auth import Unauthorized, session_holder, user_holder
from mana_desktop.server.changes import BadRequest, decode_body
from mana_desktop.server.responses import json_response
from mana_desktop.server.service import SyncService

SESSION_COOKIE = "mana.session_token"
SERVICE_KEY_HEADER = "x-service-key"
MAX_ORG_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: str
    holder: str  # who the active organization belongs to (session or account)


def _error(status: int, code: str, message: str) -> Response:
    """Better Auth's APIError body."""
    return json_response({"code": code, "message": message}, status)


def _not_member(code: str = "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION") -> Response:
    messages = {
        "USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION": "User is not a member of the organization",
        "YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION": "You are not a member of this organization",
    }
    return _error(403, code, messages[code])


ORG_NOT_FOUND = (400, "ORGANIZATION_NOT_FOUND", "Organization not found")
NO_ACTIVE = (400, "NO_ACTIVE_ORGANIZATION", "No active organization")


def session_token(service: SyncService, request: Request) -> str | None:
    """The session token of a valid `mana.session_token` cookie, or None."""
    raw = request.cookies.get(SESSION_COOKIE)
    return service.auth.token_from_cookie(unquote(raw)) if raw else None


def caller(service: SyncService, request: Request) -> Caller | None:
    """Who calls: the cookie session first (upstream), else a bearer JWT (extension)."""
    token = session_token(service, request)
    if token is not None:
        user = service.auth.redeem_refresh(token)
        if user is not None:
            return Caller(user.id, session_holder(token))
    header = request.headers.get("authorization")
    if header:
        try:
            user_id = service.auth.user_from_header(header)
        except Unauthorized:
            return None
        return Caller(user_id, user_holder(user_id))
    return None


def _full_organization(service: SyncService, org_id: str) -> dict[str, Any] | None:
    orgs = service.auth.orgs
    org = orgs.organization(org_id)
    if org is None:
        return None
    return {
        **org.public(),
        "members": [m.public() for m in orgs.members(org_id)],
        "invitations": [],
    }


def organization_routes(service: SyncService) -> list[BaseRoute]:
    orgs = service.auth.orgs

    def authed(work: Callable[[Caller, Request], Response]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            request.state.raw_body = await _small_body(request)

            def run() -> Response:
                who = caller(service, request)
                if who is None:
                    return _error(401, "UNAUTHORIZED", "Unauthorized")
                return work(who, request)

            return await run_in_threadpool(run)

        return endpoint

    def list_orgs(who: Caller, request: Request) -> Response:
        return json_response([o.public() for o in orgs.organizations_of(who.user_id)])

    def set_active(who: Caller, request: Request) -> Response:
        try:
            body = decode_body(request.state.raw_body) if request.state.raw_body else None
        except BadRequest:
            body = None
        if not isinstance(body, dict) or "organizationId" not in body:
            return _error(400, "VALIDATION_ERROR", "Expected a JSON object {organizationId}")
        org_id = body["organizationId"]
        if org_id is None:
            orgs.set_active(who.holder, None)
            return json_response(None)
        if not isinstance(org_id, str):
            return _error(400, "VALIDATION_ERROR", "organizationId must be a string or null")
        # Membership first, as Better Auth: an unknown id and another user's Space get the
        # same 403, so a caller cannot probe which ids exist. Like upstream, the refused
        # call also clears the caller's active organization.
        if orgs.role(org_id, who.user_id) is None:
            orgs.set_active(who.holder, None)
            return _not_member()
        full = _full_organization(service, org_id)
        if full is None:  # a membership row without its organization (not made by us)
            return _error(*ORG_NOT_FOUND)
        orgs.set_active(who.holder, org_id)
        return json_response(full)

    def get_active_member(who: Caller, request: Request) -> Response:
        org_id = orgs.active(who.holder)
        if org_id is None:
            return _error(*NO_ACTIVE)
        member = orgs.member(org_id, who.user_id)
        if member is None:  # Better Auth answers 400 here as for "no active organization"
            return _error(400, "MEMBER_NOT_FOUND", "Member not found")
        return json_response(member.public())

    def list_members(who: Caller, request: Request) -> Response:
        org_id = request.query_params.get("organizationId") or orgs.active(who.holder)
        if org_id is None:
            return _error(*NO_ACTIVE)
        # Membership only (upstream has no existence check here): unknown ids get the same
        # 403 as other users' Spaces.
        if orgs.role(org_id, who.user_id) is None:
            return _not_member("YOU_ARE_NOT_A_MEMBER_OF_THIS_ORGANIZATION")
        members = [m.public() for m in orgs.members(org_id)]
        return json_response({"members": members, "total": len(members)})

    base = "/api/auth/organization/"
    return [
        Route(base + "list", authed(list_orgs), methods=["GET"]),
        Route(base + "set-active", authed(set_active), methods=["POST"]),
        Route(base + "get-active-member", authed(get_active_member), methods=["GET"]),
        Route(base + "list-members", authed(list_members), methods=["GET"]),
    ]


def internal_routes(service: SyncService) -> list[BaseRoute]:
    """mana-auth's service-to-service lookups, guarded by `X-Service-Key`."""
    orgs = service.auth.orgs

    def guard(request: Request) -> Response | None:
        expected = service.service_key
        if not expected:
            return _auth_error(
                404, "NOT_FOUND", "Internal endpoints are disabled: no service key configured"
            )
        given = request.headers.get(SERVICE_KEY_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8")):
            return _auth_error(401, "UNAUTHORIZED", "Invalid service key")
        return None

    async def memberships(request: Request) -> Response:
        user_id = request.path_params["userId"]

        def run() -> Response:
            refused = guard(request)
            if refused is not None:
                return refused
            items = [
                {"organizationId": org_id, "role": role}
                for org_id, role in orgs.memberships(user_id)
            ]
            return json_response({"userId": user_id, "memberships": items})

        return await run_in_threadpool(run)

    async def member(request: Request) -> Response:
        org_id, user_id = request.path_params["orgId"], request.path_params["userId"]

        def run() -> Response:
            refused = guard(request)
            if refused is not None:
                return refused
            role = orgs.role(org_id, user_id)
            return json_response({"isMember": role is not None, "role": role})

        return await run_in_threadpool(run)

    return [
        Route("/api/v1/internal/users/{userId}/memberships", memberships, methods=["GET"]),
        Route("/api/v1/internal/org/{orgId}/member/{userId}", member, methods=["GET"]),
    ]


async def _small_body(request: Request) -> bytes:
    """The body of an organization call (a few bytes of JSON); anything past 64 KiB is
    drained and the body counts as empty (then a 400 VALIDATION_ERROR)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_ORG_BODY:
            chunks.append(chunk)
    return b"" if size > MAX_ORG_BODY else b"".join(chunks)


def _auth_error(status: int, code: str, message: str) -> Response:
    """mana-auth's own error shape `{error, message, status}`."""
    return json_response({"error": code, "message": message, "status": status}, status)
