"""Every rule that can refuse a request, defined once: its code (the `rule` of problem+json) and what it means.

The problem pages, the console and the OpenAPI document read the explanations from here; a refusal with a code
that is not defined here fails as it is raised (`Refusal.__init__`), and `tests/unit/test_rules.py` finds any
code written in the source that is not defined.
"""

from __future__ import annotations

from enum import StrEnum
from typing import NamedTuple


class Rule(StrEnum):
    # the lifecycle of a case (409)
    NOT_REGISTERED = "not_registered"
    NOT_DISPATCHED = "not_dispatched"
    NOT_RETURNED = "not_returned"
    NOT_IN_PROGRESS = "not_in_progress"
    NOT_RESOLVED = "not_resolved"
    NOT_OPEN = "not_open"
    RETURN_AFTER_SIGN_FOR = "return_after_sign_for"
    RETURN_ALREADY_ARBITRATED = "return_already_arbitrated"
    CO_REPLY_MISSING = "co_reply_missing"
    CO_REPLY_WAIVED = "co_reply_waived"
    CO_REPLY_GIVEN = "co_reply_given"
    EXTENSION_PENDING = "extension_pending"
    NO_EXTENSION_PENDING = "no_extension_pending"
    EXTENSION_TOO_LATE = "extension_too_late"
    EXTENSION_EXCEEDS_MAXIMUM = "extension_exceeds_maximum"
    ESCALATION_CANNOT_DESCEND = "escalation_cannot_descend"
    ALREADY_EVALUATED = "already_evaluated"
    REOPEN_REQUIRES_DISSATISFIED = "reopen_requires_dissatisfied"
    CLOSURE_REQUIRES_EVALUATION = "closure_requires_evaluation"
    MERGE_TARGET_NOT_OPEN = "merge_target_not_open"
    CASE_HISTORY_FULL = "case_history_full"
    ERASURE_WHILE_OPEN = "erasure_while_open"
    # who may act on a case (403)
    ROLE_NOT_PERMITTED = "role_not_permitted"
    LEAD_ONLY = "lead_only"
    CO_HANDLER_ONLY = "co_handler_only"
    NOT_INVOLVED = "not_involved"
    OWN_CREDIT_CODE_ONLY = "own_credit_code_only"
    # the values of a case command (422)
    REASON_REQUIRED = "reason_required"
    DUPLICATE_DEPARTMENT = "duplicate_department"
    UNKNOWN_DEPARTMENT = "unknown_department"
    CO_DEPARTMENTS_NEED_RESOLUTION_TIER = "co_departments_need_resolution_tier"
    REASSIGN_TO_SAME_DEPARTMENT = "reassign_to_same_department"
    NOT_CO_HANDLER = "not_co_handler"
    DUE_ONLY_FOR_SUPERVISE = "due_only_for_supervise"
    DUE_NOT_IN_FUTURE = "due_not_in_future"
    DUE_TOO_FAR = "due_too_far"
    MERGE_INTO_SELF = "merge_into_self"
    UNKNOWN_CASE = "unknown_case"
    PROJECT_REQUIRED = "project_required"
    PROJECT_ONLY_FOR_PROJECT_ISSUES = "project_only_for_project_issues"
    UNKNOWN_PROJECT = "unknown_project"
    # projects
    PROJECT_CODE_TAKEN = "project_code_taken"
    MILESTONE_OUT_OF_ORDER = "milestone_out_of_order"
    MILESTONE_ALREADY_RECORDED = "milestone_already_recorded"
    MILESTONE_BEFORE_SIGNING = "milestone_before_signing"
    MILESTONE_IN_FUTURE = "milestone_in_future"
    SIGNED_ON_IN_FUTURE = "signed_on_in_future"
    PLANNED_DATES_OUT_OF_ORDER = "planned_dates_out_of_order"
    INVALID_INVESTMENT = "invalid_investment"
    INVALID_PERCENT = "invalid_percent"
    # access tokens
    TOKEN_REVOKED = "token_revoked"
    ROLE_NOT_ISSUABLE = "role_not_issuable"
    INVALID_CREDIT_CODE = "invalid_credit_code"
    CREDIT_CODE_NOT_ALLOWED = "credit_code_not_allowed"
    DEPARTMENT_REQUIRED = "department_required"
    # queries and reports
    INVALID_PERIOD = "invalid_period"
    PERIOD_REQUIRED = "period_required"
    UNKNOWN_ZONE = "unknown_zone"
    UNKNOWN_LIST = "unknown_list"
    UNKNOWN_COLOUR = "unknown_colour"
    INVALID_CURSOR = "invalid_cursor"
    MIN_POSITION_BEYOND_HEAD = "min_position_beyond_head"
    MIN_POSITION_NOT_REACHED = "min_position_not_reached"
    # concurrency, access and the protocol
    NOT_FOUND = "not_found"
    VERSION_MISMATCH = "version_mismatch"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    UNAUTHENTICATED = "unauthenticated"
    TOO_MANY_FAILED_AUTHENTICATIONS = "too_many_failed_authentications"
    INVALID_INPUT = "invalid_input"
    INVALID_IF_MATCH = "invalid_if_match"
    BODY_TOO_LARGE = "body_too_large"
    STORAGE_UNAVAILABLE = "storage_unavailable"
    INTEGRITY_VIOLATION = "integrity_violation"
    WRITE_RATE_EXCEEDED = "write_rate_exceeded"

    @property
    def zh(self) -> str:
        return EXPLANATIONS[self].zh

    @property
    def en(self) -> str:
        return EXPLANATIONS[self].en


class Explanation(NamedTuple):
    zh: str
    en: str


R = Rule
EXPLANATIONS: dict[Rule, Explanation] = {
    R.NOT_REGISTERED: Explanation("只有已登记、尚未派单的诉求才能派单", "only a registered case can be dispatched"),
    R.NOT_DISPATCHED: Explanation(
        "只有已派单、尚未签收的诉求才能签收或退单", "only a dispatched case can be signed for or returned"
    ),
    R.NOT_RETURNED: Explanation("只有已退单的诉求才能审定", "only a returned case can be arbitrated"),
    R.NOT_IN_PROGRESS: Explanation("此操作只能在办理中进行", "this can only be recorded while the case is in progress"),
    R.NOT_RESOLVED: Explanation("只有已办结的诉求才能评价", "only a resolved case can be evaluated"),
    R.NOT_OPEN: Explanation(
        "诉求已销号、撤回或合并，不能再记录任何操作",
        "the case is closed, withdrawn or merged; nothing more is recorded",
    ),
    R.RETURN_AFTER_SIGN_FOR: Explanation("签收后不能退单", "a case cannot be returned after sign-for"),
    R.RETURN_ALREADY_ARBITRATED: Explanation(
        "退单已被审定维持，本单位不能再次退单", "a return was upheld; this department may not return the case again"
    ),
    R.CO_REPLY_MISSING: Explanation(
        "协办单位尚未回复（或未被免于协办），主办单位不能办结",
        "a co-handler has not replied (nor been waived), so the lead may not resolve",
    ),
    R.CO_REPLY_WAIVED: Explanation("该单位已被免于协办，不能再回复", "this department's co-reply was waived"),
    R.CO_REPLY_GIVEN: Explanation("该单位已回复，不能再免于协办", "this department has already replied"),
    R.EXTENSION_PENDING: Explanation("已有一项延期申请待审批", "an extension request is already pending"),
    R.NO_EXTENSION_PENDING: Explanation("没有待审批的延期申请", "no extension request is pending"),
    R.EXTENSION_TOO_LATE: Explanation(
        "延期须在办理时限前至少 1 个工作日申请", "an extension is requested at least 1 working day before the due date"
    ),
    R.EXTENSION_EXCEEDS_MAXIMUM: Explanation(
        "延期后总时限超过政策上限（默认 30 个工作日）", "the total limit would exceed the policy maximum"
    ),
    R.ESCALATION_CANNOT_DESCEND: Explanation(
        "督办等级只能升不能降（催办 → 督办 → 挂牌督办）", "escalation levels never go down (urge → supervise → listed)"
    ),
    R.ALREADY_EVALUATED: Explanation("本轮已评价，以第一次评价为准", "this round has already been evaluated"),
    R.REOPEN_REQUIRES_DISSATISFIED: Explanation(
        "只有评价为不满意或非常不满意时才能重办", "a redo needs a dissatisfied or very dissatisfied evaluation"
    ),
    R.CLOSURE_REQUIRES_EVALUATION: Explanation(
        "销号需要评价，或在回访期满后注明无法联系企业",
        "closing needs an evaluation, or the revisit window passed with a note",
    ),
    R.CASE_HISTORY_FULL: Explanation(
        "此诉求的记录已达上限，不能再追加；请联系中心工作人员",
        "the case holds as many events as a case may; ask the centre",
    ),
    R.ERASURE_WHILE_OPEN: Explanation(
        "诉求仍在办理中，个人信息须在销号、撤回或合并后才能删除",
        "personal data is erased once the case is closed, withdrawn or merged, not while it is worked",
    ),
    R.MERGE_TARGET_NOT_OPEN: Explanation("只能合并到仍在办理的诉求", "the surviving case must be open"),
    R.ROLE_NOT_PERMITTED: Explanation("您的角色不能进行此操作", "this role may not do this"),
    R.LEAD_ONLY: Explanation("只有主办单位能进行此操作", "only the lead department may do this"),
    R.CO_HANDLER_ONLY: Explanation("只有协办单位能进行此操作", "only a co-handling department may do this"),
    R.NOT_INVOLVED: Explanation(
        "只有主办或协办单位能进行此操作", "only the lead or a co-handling department may do this"
    ),
    R.OWN_CREDIT_CODE_ONLY: Explanation(
        "企业只能以本企业的统一社会信用代码登记诉求", "an enterprise registers cases under its own credit code only"
    ),
    R.REASON_REQUIRED: Explanation("请填写理由", "a reason is required"),
    R.DUPLICATE_DEPARTMENT: Explanation("同一单位不能重复指定", "a department is named twice"),
    R.UNKNOWN_DEPARTMENT: Explanation("单位不在部门目录中", "the department is not in the directory"),
    R.CO_DEPARTMENTS_NEED_RESOLUTION_TIER: Explanation(
        "只有精准问题处置（第二级）才能指定协办单位", "only a tier 2 (resolution) dispatch names co-handlers"
    ),
    R.REASSIGN_TO_SAME_DEPARTMENT: Explanation("改派须指定另一个单位", "a reassignment names another department"),
    R.NOT_CO_HANDLER: Explanation("该单位不是此诉求的协办单位", "that department is not a co-handler of the case"),
    R.DUE_ONLY_FOR_SUPERVISE: Explanation("只有督办可以设定督办时限", "only a supervise escalation carries a due date"),
    R.DUE_NOT_IN_FUTURE: Explanation("督办时限须晚于今天", "the supervision due date must lie in the future"),
    R.DUE_TOO_FAR: Explanation("督办时限过远", "the supervision due date is too far away"),
    R.MERGE_INTO_SELF: Explanation("不能合并到自身", "a case cannot be merged into itself"),
    R.UNKNOWN_CASE: Explanation("没有这个诉求", "no such case"),
    R.PROJECT_REQUIRED: Explanation("项目问题须关联一个重大项目", "a project issue names its project"),
    R.PROJECT_ONLY_FOR_PROJECT_ISSUES: Explanation(
        "只有项目问题才能关联项目", "only a case of kind project_issue names a project"
    ),
    R.UNKNOWN_PROJECT: Explanation("没有这个项目", "no such project"),
    R.PROJECT_CODE_TAKEN: Explanation("项目编号已被使用", "a project with this code is already registered"),
    R.MILESTONE_OUT_OF_ORDER: Explanation(
        "节点须按 落地开工 → 入库入统 → 竣工投运 → 投产达效 的顺序记录",
        "milestones are recorded in the order started → in_statistics → completed → in_production",
    ),
    R.MILESTONE_ALREADY_RECORDED: Explanation("该节点已记录", "this milestone is already recorded"),
    R.MILESTONE_BEFORE_SIGNING: Explanation("节点日期不能早于签约日期", "a milestone may not precede signing"),
    R.MILESTONE_IN_FUTURE: Explanation("节点日期不能晚于今天", "a milestone date may not lie in the future"),
    R.SIGNED_ON_IN_FUTURE: Explanation("签约日期不能晚于今天", "the signing date may not lie in the future"),
    R.PLANNED_DATES_OUT_OF_ORDER: Explanation(
        "计划日期须按 开工 → 竣工 → 投产 的顺序", "planned dates go start → completion → production"
    ),
    R.INVALID_INVESTMENT: Explanation("投资额须为非负数", "an investment is a non-negative amount"),
    R.INVALID_PERCENT: Explanation("完成百分比须在 0 到 100 之间", "percent complete lies between 0 and 100"),
    R.TOKEN_REVOKED: Explanation("该令牌已被吊销", "this token is already revoked"),
    R.ROLE_NOT_ISSUABLE: Explanation("不能为该角色签发令牌", "no token is issued for this role"),
    R.INVALID_CREDIT_CODE: Explanation(
        "统一社会信用代码无效（18 位，校验位须正确）",
        "the unified social credit code is invalid (18 characters, check digit)",
    ),
    R.CREDIT_CODE_NOT_ALLOWED: Explanation("只有企业令牌带有信用代码", "only enterprise tokens carry a credit code"),
    R.DEPARTMENT_REQUIRED: Explanation("部门办理人员的令牌须指定部门", "a handler token needs its department"),
    R.INVALID_PERIOD: Explanation("统计期间无效", "the report period is invalid"),
    R.PERIOD_REQUIRED: Explanation("请指定统计期间", "a report period is required"),
    R.UNKNOWN_ZONE: Explanation("没有这个战区", "no such zone"),
    R.UNKNOWN_LIST: Explanation("没有这个清单", "no such project list"),
    R.UNKNOWN_COLOUR: Explanation("没有这个颜色", "no such colour"),
    R.INVALID_CURSOR: Explanation(
        "翻页游标无效，请从第一页开始", "the page cursor is invalid; start from the first page"
    ),
    R.MIN_POSITION_BEYOND_HEAD: Explanation("请求的位置尚未记录", "min_position lies beyond the last recorded event"),
    R.MIN_POSITION_NOT_REACHED: Explanation(
        "视图尚未更新到请求的位置，请稍后重试", "the view has not reached min_position yet; retry shortly"
    ),
    R.NOT_FOUND: Explanation("没有这条记录，或您无权查看", "no such object, or one the caller may not see"),
    R.VERSION_MISMATCH: Explanation(
        "此诉求在您打开后已被修改，请查看最新状态后再操作", "the object changed since the given version"
    ),
    R.IDEMPOTENCY_KEY_REUSED: Explanation(
        "该幂等键已用于另一个请求", "this Idempotency-Key was used with another request"
    ),
    R.UNAUTHENTICATED: Explanation("请登录：令牌缺失、未知或已吊销", "no token, or an unknown or revoked one"),
    R.TOO_MANY_FAILED_AUTHENTICATIONS: Explanation(
        "登录失败次数过多，请稍后再试", "too many failed authentications from this client"
    ),
    R.INVALID_INPUT: Explanation("输入格式不正确", "malformed input"),
    R.INVALID_IF_MATCH: Explanation("If-Match 须为 ETag 中的版本号", "If-Match must be a version as sent in ETag"),
    R.BODY_TOO_LARGE: Explanation("请求内容过大", "the request body is too large"),
    R.STORAGE_UNAVAILABLE: Explanation("存储暂时不可用，请稍后重试", "the store is unavailable; retry shortly"),
    R.WRITE_RATE_EXCEEDED: Explanation(
        "操作过于频繁，请稍后再试", "this token recorded as many commands as its role may in a minute; retry later"
    ),
    R.INTEGRITY_VIOLATION: Explanation(
        "存储的记录未通过完整性校验（可能被绕过系统修改），请联系审计人员",
        "a stored record fails its integrity check (changed outside casetrail); an auditor must look",
    ),
}


class Refusal(Exception):
    """A request refused by a named rule; nothing was recorded. Domain, application and API refusals derive
    from it, each in its own layer."""

    def __init__(self, rule: Rule | str, detail: str) -> None:
        super().__init__(detail)
        self.rule = Rule(rule)  # an undefined code is a bug: it fails here, where it is raised
        self.detail = detail
