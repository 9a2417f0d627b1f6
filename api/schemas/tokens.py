"""Access-token bodies."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Body, Code, CreditCode, Short, examples
from domain.values import Role


class TokenIn(Body):
    name: Short
    role: Role
    department: Code | None = None
    credit_code: CreditCode | None = None

    model_config = examples({"name": "经信局-王敏", "role": "handler", "department": "econ-info"})


class TokenOut(BaseModel):
    id: str
    name: str
    role: str
    department: str | None
    credit_code: str | None
    issued_at: str
    revoked_at: str | None
    token: str | None = Field(default=None, description="The secret; present only in the answer that issues it.")


class TokenList(BaseModel):
    items: list[TokenOut]
    next_cursor: str | None = None
