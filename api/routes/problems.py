"""The problem pages: what each `rule` of a problem+json answer means, in Chinese and English."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from application.errors import NotFound
from domain.rules import Rule

router = APIRouter(tags=["operations"])
PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem">{body}</body></html>"""


def _row(rule: Rule) -> str:
    return f'<dt><a href="/problems/{rule}"><code>{rule}</code></a></dt><dd>{escape(rule.zh)} — {escape(rule.en)}</dd>'


@router.get("/problems", response_class=HTMLResponse, description="Every rule that can refuse a request.")
def index() -> HTMLResponse:
    rows = "".join(_row(rule) for rule in Rule)
    return HTMLResponse(PAGE.format(title="规则说明 · rules", body=f"<h1>规则说明 · rules</h1><dl>{rows}</dl>"))


@router.get(
    "/problems/{rule}",
    response_class=HTMLResponse,
    description="The page a problem's `type` points to: the rule's meaning.",
)
def explain(rule: str) -> HTMLResponse:
    try:
        known = Rule(rule)
    except ValueError:
        raise NotFound(f"no rule named {rule}") from None
    body = f"<h1><code>{known}</code></h1><p>{escape(known.zh)}</p><p>{escape(known.en)}</p>"
    return HTMLResponse(PAGE.format(title=known, body=body + '<p><a href="/problems">所有规则</a></p>'))
