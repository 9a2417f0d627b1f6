"""The problem pages: what each `rule` of a problem+json answer means and what to do, as HTML or JSON."""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from application.errors import NotFound
from domain.rules import Rule

router = APIRouter(tags=["operations"])
PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem">{body}</body></html>"""
DEFAULT_ADVICE = (
    "Nothing was recorded. Change the request (or first the object's state) as the explanation says, then send it "
    "again; retrying it unchanged gets the same answer."
)
ADVICE: dict[Rule, str] = {
    Rule.UNKNOWN_DEPARTMENT: "Use a code from GET /v1/departments.",
    Rule.INVALID_INPUT: "Correct the fields listed in the problem's `errors` (loc, msg) and send it again.",
    Rule.VERSION_MISMATCH: "Read the object again (GET, its ETag), decide anew, and send the command with the new "
    "If-Match; without If-Match the server already re-applied it a few times.",
    Rule.STORAGE_UNAVAILABLE: "Retry after the Retry-After seconds; nothing was recorded.",
    Rule.MIN_POSITION_NOT_REACHED: "Retry after the Retry-After seconds; the view is catching up.",
    Rule.TOO_MANY_FAILED_AUTHENTICATIONS: "Wait the Retry-After seconds and send a valid token.",
    Rule.UNAUTHENTICATED: "Send Authorization: Bearer <token> with an active token.",
    Rule.NOT_FOUND: "Check the id; objects the caller may not see answer 404 too.",
    Rule.IDEMPOTENCY_KEY_REUSED: "Use a new Idempotency-Key for a different request.",
    Rule.INVALID_CURSOR: "Start again from the first page (no cursor).",
    Rule.BODY_TOO_LARGE: "Send a smaller body (the limit is CASETRAIL_MAX_BODY_BYTES).",
    Rule.INVALID_IF_MATCH: 'Send If-Match as the ETag was given, e.g. "3", or leave it out.',
}


class RuleOut(BaseModel):
    rule: str
    type: str
    zh: str
    en: str
    what_to_do: str


def _row(rule: Rule) -> str:
    return f'<dt><a href="/problems/{rule}"><code>{rule}</code></a></dt><dd>{escape(rule.zh)} — {escape(rule.en)}</dd>'


def _json(rule: Rule) -> RuleOut:
    return RuleOut(
        rule=rule, type=f"/problems/{rule}", zh=rule.zh, en=rule.en, what_to_do=ADVICE.get(rule, DEFAULT_ADVICE)
    )


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "json" in accept and "text/html" not in accept


RULE_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "text/html": {"schema": {"type": "string"}},
            "application/json": {"schema": {"$ref": "#/components/schemas/RuleOut"}},
        }
    },
    404: {"description": "no such rule"},
}


@router.get(
    "/problems",
    response_class=HTMLResponse,
    responses={
        200: {
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/RuleOut"}}}
            }
        }
    },
    description="Every rule that can refuse a request (HTML; JSON with `Accept: application/json`).",
)
def index(request: Request) -> Response:
    if _wants_json(request):
        return JSONResponse([_json(rule).model_dump() for rule in Rule])
    rows = "".join(_row(rule) for rule in Rule)
    return HTMLResponse(PAGE.format(title="规则说明 · rules", body=f"<h1>规则说明 · rules</h1><dl>{rows}</dl>"))


@router.get(
    "/problems/{rule}",
    response_class=HTMLResponse,
    responses=RULE_DOC,
    description="The page a problem's `type` points to: what the rule means and what to do (HTML; JSON with "
    "`Accept: application/json`).",
)
def explain(rule: str, request: Request) -> Response:
    try:
        known = Rule(rule)
    except ValueError:
        raise NotFound(f"no rule named {rule}") from None
    explained = _json(known)
    if _wants_json(request):
        return JSONResponse(explained.model_dump())
    body = (
        f"<h1><code>{known}</code></h1><p>{escape(known.zh)}</p><p>{escape(known.en)}</p>"
        f"<p><strong>What to do:</strong> {escape(explained.what_to_do)}</p>"
    )
    return HTMLResponse(PAGE.format(title=known, body=body + '<p><a href="/problems">所有规则</a></p>'))
