"""A case's history told as a story: one line per event — when, who (name, role, department), what, and why."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.console import labels
from domain.directory import Directory

SYSTEM_NAMES = {"system:tracking": "跟踪预警系统", "cli": "系统运维（命令行）"}


@dataclass(frozen=True)
class Line:
    at: Any
    who: str
    role: str
    what: str
    detail: str


def story(events: list[dict[str, Any]], names: dict[str, str], directory: Directory) -> list[Line]:
    return [_line(e, names, directory) for e in events]


def _line(event: dict[str, Any], names: dict[str, str], directory: Directory) -> Line:
    actor = event.get("actor") or {}
    role = labels.ROLE.get(actor.get("role") or "", "")
    where = [role] if role else []
    if actor.get("department"):
        where.append(labels.department_name(directory, actor["department"]))
    who = names.get(actor.get("id") or "") or SYSTEM_NAMES.get(actor.get("id") or "") or (role or "—")
    what = labels.EVENT.get(event["type"], event["type"])
    return Line(event["at"], who, "、".join(where), what, _detail(event["type"], event.get("data") or {}, directory))


def _detail(kind: str, d: dict[str, Any], directory: Directory) -> str:  # noqa: PLR0912 - one case per event
    name = lambda code: labels.department_name(directory, code)  # noqa: E731
    if kind == "CaseRegistered":
        return f"{d.get('title', '')}（{labels.CHANNEL.get(d.get('channel', ''), '')}）"
    if kind == "CaseDispatched":
        text = f"{labels.TIER.get(d.get('tier', ''), '')}，主办单位：{name(d.get('lead_department'))}"
        if d.get("co_departments"):
            text += "，协办单位：" + "、".join(name(c) for c in d["co_departments"])
        return text
    if kind == "CaseReturned":
        return f"理由：{d.get('reason', '')}；依据：{d.get('basis', '')}"
    if kind == "CaseReturnArbitrated":
        return f"{labels.ARBITRATION.get(d.get('decision', ''), '')}：{name(d.get('department'))}。{d.get('note', '')}"
    if kind in ("CaseContacted", "CaseProgressLogged", "CaseCoReplied"):
        return str(d.get("note") or "")
    if kind == "CaseCoReplyWaived":
        return f"{name(d.get('department'))}：{d.get('reason', '')}"
    if kind == "CaseExtensionRequested":
        return f"延长 {d.get('extra_working_days')} 个工作日：{d.get('reason', '')}"
    if kind == "CaseExtensionDecided":
        verdict = "同意" if d.get("approved") else "不同意"
        return f"{verdict}（{d.get('extra_working_days')} 个工作日）：{d.get('note', '')}"
    if kind == "CaseEscalated":
        return f"{labels.ESCALATION.get(d.get('level', ''), '')}：{d.get('reason', '')}"
    if kind == "CaseResolved":
        text = f"{labels.OUTCOME.get(d.get('outcome', ''), '')}。答复：{d.get('reply', '')}"
        return text + (f"（原因：{d['reason']}）" if d.get("reason") else "")
    if kind == "CaseEvaluated":
        solved = "问题已解决" if d.get("solved") else "问题未解决"
        text = f"第 {d.get('round')} 轮：{labels.SATISFACTION.get(d.get('satisfaction', ''), '')}，{solved}"
        return text + (f"。{d['comment']}" if d.get("comment") else "")
    if kind == "CaseReopened":
        return f"第 {d.get('round')} 轮：{d.get('reason', '')}"
    if kind in ("CaseClosed", "CaseWithdrawn"):
        return str(d.get("note") or d.get("reason") or "")
    if kind == "CaseMerged":
        return f"并入 {d.get('into_reference', '')}" + (f"：{d['note']}" if d.get("note") else "")
    if kind == "CaseDuplicateAttached":
        return f"重复诉求 {d.get('duplicate_reference', '')} 并入本诉求"
    if kind in ("CaseWarningRaised", "CaseWarningCleared"):
        level = labels.LEVEL.get(d.get("level", ""), "")
        return f"{labels.warning_kind(d.get('kind', ''))} {level}"
    return ""
