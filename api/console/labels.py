"""The console's Chinese words, in one place (the vocabulary of CONSOLE.md): templates never spell a label."""

from __future__ import annotations

from typing import Any

from domain.directory import Directory
from domain.project import next_milestone as project_next_milestone
from domain.rules import Rule

STATUS = {
    "registered": "已登记",
    "dispatched": "已派单",
    "returned": "已退单",
    "in_progress": "办理中",
    "resolved": "已办结",
    "evaluated": "已评价",
    "closed": "已销号",
    "withdrawn": "已撤回",
    "merged": "已合并",
}
PUBLIC_STATUS = {
    "registered": "已受理",
    "dispatched": "办理中",
    "returned": "办理中",
    "in_progress": "办理中",
    "resolved": "已办结",
    "evaluated": "已评价",
    "closed": "已办结销号",
    "withdrawn": "已撤回",
    "merged": "已合并",
}
TIER = {"handling": "高效事项办理", "resolution": "精准问题处置", "tracking": "跟踪预警服务"}
ROLE = {
    "coordinator": "中心工作人员",
    "handler": "部门办理人员",
    "enterprise": "企业",
    "auditor": "审计/纪检",
    "reporter": "统计",
    "admin": "系统管理员",
    "system": "系统",
}
CLOCK = {
    "sign_for": "签收时限",
    "first_contact": "首次联系时限",
    "handling": "办理时限",
    "resolution": "办理时限",
    "co_reply": "协办回复时限",
    "revisit": "回访时限",
    "supervision": "督办时限",
}
LEVEL = {"yellow": "黄色预警", "red": "红色预警"}
WARNING_KIND = {"stalled": "办理停滞", "revisit": "回访逾期", "dissatisfied": "多次不满意", "escalation": "督办"}
LIGHT = {"green": "正常", "yellow": "预警", "red": "超期", "grey": "已办结"}
ESCALATION = {"urge": "催办", "supervise": "督办", "listed": "挂牌督办"}
SATISFACTION = {
    "very_satisfied": "非常满意",
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
    "very_dissatisfied": "非常不满意",
}
OUTCOME = {"solved": "已解决", "explained": "已解释说明", "unsolvable": "暂不具备解决条件"}
CHANNEL = {"visit": "走访", "hotline": "热线", "online": "线上平台", "meeting": "座谈/调度会", "letter": "来信"}
URGENCY = {"normal": "一般", "urgent": "紧急"}
KIND = {"enterprise_problem": "企业诉求", "project_issue": "项目问题"}
CATEGORY = {
    "approval": "审批手续",
    "policy": "政策兑现",
    "land": "用地",
    "utilities": "水电气/蒸汽",
    "infrastructure": "道路/配套",
    "financing": "融资",
    "talent": "人才",
    "market": "市场拓展/供需对接",
    "technology": "科技创新",
    "environment": "环保",
    "other": "其他",
}
ARBITRATION = {"uphold": "维持", "reassign": "改派"}
PROJECT_LIST = {"start": "开工入库", "construction": "加快建设", "completion": "按期竣工", "production": "投产达效"}
ZONE = {"zone-1": "第一战区", "zone-2": "第二战区", "zone-3": "第三战区", "zone-4": "第四战区"}
# Report columns (三率报表, 战区报表): the headers of spreadsheets and of the console's tables.
RATE = {"response_rate": "响应率", "resolution_rate": "解决率", "satisfaction_rate": "满意率"}
COLOUR = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
REPORT_COLUMN = {
    "department": "部门代码",
    "name": "部门",
    "zone": "战区",
    "dispatched": "派单数",
    "co_handled": "协办数",
    **RATE,
    "composite": "综合得分（百分制）",
    "on_time_rate": "按时办结率",
    "avg_working_days": "平均办理工作日",
    "open": "未办结",
    "overdue": "超期",
    "returns": "退单",
    "redos": "重办",
    "withdrawals": "撤单",
    "policy_version": "口径版本",
    "projects": "重大项目数",
    **{f"{n}_{c}": f"{PROJECT_LIST[n]}·{COLOUR[c]}" for n in PROJECT_LIST for c in COLOUR},
    "start_rate": "开工率",
    "statistics_rate": "入库入统率",
    "investment_rate": "投资完成率",
    "planned_investment": "计划投资（万元）",
    "investment_to_date": "累计完成投资（万元）",
    "as_of": "截至",
}
MILESTONE = {
    "signed": "签约注册",
    "started": "落地开工",
    "in_statistics": "入库入统",
    "completed": "竣工投运",
    "in_production": "投产达效",
}
ACTION = {
    "dispatch": "派单",
    "sign_for": "签收",
    "return": "退单",
    "arbitrate": "审定",
    "contact": "首次联系",
    "progress": "办理进展",
    "co_reply": "协办回复",
    "waive_co_reply": "免于协办",
    "request_extension": "申请延期",
    "decide_extension": "审批延期",
    "escalate": "督办",
    "resolve": "办结",
    "evaluate": "回访评价",
    "reopen": "重办",
    "close": "销号",
    "withdraw": "撤回",
    "merge": "合并",
}
DUE_NOW = {
    "sign_for": "待签收",
    "first_contact": "待首次联系",
    "co_reply": "待协办回复",
    "main": "待办结",
    "arbitrate": "待审定",
}
# What an event says in the timeline (DOMAIN.md's verbs); the details are added by the timeline presenter.
EVENT = {
    "CaseRegistered": "登记诉求",
    "CaseDispatched": "派单",
    "CaseSignedFor": "签收",
    "CaseReturned": "退单",
    "CaseReturnArbitrated": "审定退单",
    "CaseContacted": "首次联系企业",
    "CaseProgressLogged": "记录办理进展",
    "CaseCoReplied": "协办回复",
    "CaseCoReplyWaived": "免于协办",
    "CaseExtensionRequested": "申请延期",
    "CaseExtensionDecided": "审批延期",
    "CaseEscalated": "督办",
    "CaseResolved": "办结",
    "CaseEvaluated": "回访评价",
    "CaseReopened": "重办",
    "CaseClosed": "销号",
    "CaseWithdrawn": "撤回",
    "CaseMerged": "合并到其他诉求",
    "CaseDuplicateAttached": "合并重复诉求",
    "CaseWarningRaised": "发出预警",
    "CaseWarningCleared": "解除预警",
    "CasePersonalDataErased": "删除联系人个人信息",
    "ProjectRegistered": "登记重大项目",
    "ProjectMilestoneRecorded": "记录项目节点",
    "ProjectProgressReported": "报告项目进展",
    "TokenIssued": "签发访问令牌",
    "TokenRevoked": "吊销访问令牌",
    "TokenIndexed": "登记令牌索引",
    "ReferenceAllocated": "分配诉求编号",
}
CHANGED = "此诉求在您打开后已被修改"


def explain(rule: str | None, detail: str) -> str:
    """The words shown for a refusal: its rule's explanation from the domain's registry, else its detail."""
    try:
        return f"{Rule(rule or '').zh}。"
    except ValueError:
        return detail


def warning_kind(kind: str) -> str:
    """A warning's kind in words: a clock's name, a family (co_reply:finance), or the named kinds."""
    family, _, rest = kind.partition(":")
    if family == "escalation":
        return ESCALATION.get(rest, "督办")
    if family == "project":
        return f"重大项目·{PROJECT_LIST.get(rest, rest)}"
    return CLOCK.get(family) or WARNING_KIND.get(family, kind)


def light(level: str | None, status: str | None = None) -> str:
    """The light's colour: grey once a case is no longer worked, else its warning level, else green."""
    if status in ("closed", "withdrawn", "merged", "evaluated"):
        return "grey"
    return level if level in ("yellow", "red") else "green"


PLANNED_FOR = {"started": "start", "completed": "completion", "in_production": "production"}


def planned_of(project: Any, milestone: str) -> str | None:
    """A milestone's planned date (入库入统 has none), of a project or a project-list item."""
    planned = project["planned"] if isinstance(project, dict) else project.planned
    key = PLANNED_FOR.get(milestone)
    return planned.get(key) if key else None


def next_milestone(item: dict[str, Any]) -> tuple[str, str | None] | None:
    """The first milestone a project-list item has not reached, with its planned date; None when all are."""
    reached = {milestone for milestone, on in item["milestones"].items() if on}
    found = project_next_milestone(reached, float(item["planned_investment"]))
    return None if found is None else (found.value, planned_of(item, found.value))


def department_name(directory: Directory, code: str | None) -> str:
    if not code:
        return "—"
    return directory.get(code).name if code in directory else code


def clock_name(clock: str, directory: Directory) -> str:
    """A clock of a case's `due` in words; a co-handler's names the department."""
    family, _, department = clock.partition(":")
    name = CLOCK.get(family, clock)
    return f"{name}（{department_name(directory, department)}）" if department else name


def choices(table: dict[str, str]) -> list[tuple[str, str]]:
    return list(table.items())


def template_globals(directory: Directory) -> dict[str, Any]:
    """What every template may call: the tables above and the directory's names."""
    return {
        "L": {
            "status": STATUS,
            "public_status": PUBLIC_STATUS,
            "tier": TIER,
            "role": ROLE,
            "level": LEVEL,
            "light": LIGHT,
            "escalation": ESCALATION,
            "satisfaction": SATISFACTION,
            "outcome": OUTCOME,
            "channel": CHANNEL,
            "urgency": URGENCY,
            "kind": KIND,
            "category": CATEGORY,
            "arbitration": ARBITRATION,
            "zone": ZONE,
            "action": ACTION,
            "due_now": DUE_NOW,
            "rate": RATE,
            "column": REPORT_COLUMN,
            "project_list": PROJECT_LIST,
            "milestone": MILESTONE,
            "colour": COLOUR,
            "event": EVENT,
        },
        "dept": lambda code: department_name(directory, code),
        "clock": lambda name: clock_name(name, directory),
        "warning_kind": warning_kind,
        "lightof": light,
        "planned_of": planned_of,
        "next_milestone": next_milestone,
        "departments": [d for d in directory],
    }


FIELD_ERROR = {
    "missing": "请填写此项。",
    "string_too_short": "请填写此项。",
    "string_too_long": "内容过长。",
    "too_long": "选择过多。",
    "string_pattern_mismatch": "格式不正确。",
    "enum": "请从列表中选择。",
    "literal_error": "请从列表中选择。",
    "int_parsing": "请填写整数。",
    "greater_than_equal": "数值过小。",
    "less_than_equal": "数值过大。",
    "uuid_parsing": "请填写诉求编号（如 QY-2026-000123）。",
    "date_from_datetime_parsing": "日期格式应为 2026-11-27。",
    "date_parsing": "日期格式应为 2026-11-27。",
    "bool_parsing": "请选择是或否。",
    "extra_forbidden": "不应填写此项。",
}
FIELD_SPECIFIC = {
    "credit_code": "统一社会信用代码不正确：应为18位，且第18位校验码须与前17位相符（GB 32100-2015）。",
    "phone": "电话号码格式不正确（数字，可含空格或短横线）。",
}


def field_errors(errors: list[Any]) -> dict[str, str]:
    """A pydantic error list as field name -> the words shown beside that field."""
    found: dict[str, str] = {}
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
        name = "_".join(loc) if loc else "form"
        if err.get("type") != "missing" and loc and loc[-1] in FIELD_SPECIFIC:
            found.setdefault(name, FIELD_SPECIFIC[loc[-1]])
        else:
            found.setdefault(name, FIELD_ERROR.get(str(err.get("type")), "填写有误。"))
    return found
