"""Access-token routes (admin only): issue, list, revoke."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from api.auth import CallerDep
from api.deps import TokensDep
from api.presenters import token_body
from api.schemas.tokens import TokenIn, TokenList, TokenOut
from application.tokens import TokenService

router = APIRouter(prefix="/v1/tokens", tags=["access tokens"])


@router.post("", status_code=201, response_model=TokenOut, description=TokenService.issue.__doc__)
def issue(body: TokenIn, caller: CallerDep, tokens: TokensDep) -> JSONResponse:
    issued = tokens.issue(
        caller, name=body.name, role=body.role, department=body.department, credit_code=body.credit_code
    )
    return JSONResponse(
        token_body(issued.token, issued.secret), status_code=201, headers={"Location": f"/v1/tokens/{issued.token.id}"}
    )


@router.get("", response_model=TokenList, description=TokenService.list_all.__doc__)
def list_tokens(caller: CallerDep, tokens: TokensDep) -> JSONResponse:
    return JSONResponse({"items": [token_body(t) for t in tokens.list_all(caller)], "next_cursor": None})


@router.delete(
    "/{token_id}",
    status_code=204,
    description=TokenService.revoke.__doc__,
)
def revoke(token_id: UUID, caller: CallerDep, tokens: TokensDep) -> Response:
    tokens.revoke(caller, token_id)
    return Response(status_code=204)
