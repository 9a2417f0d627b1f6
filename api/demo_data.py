"""The texts of the demo data set: Wenjiang enterprises, what they report, and what handlers write back."""

from __future__ import annotations

import random

from domain.credit_code import ALPHABET, check_character
from domain.values import Escalation, Outcome

# fmt: off
ENTERPRISES = (
    "成都蓉康生物医药有限公司", "四川金岷药业有限责任公司", "成都华蜀医疗器械有限公司", "成都温医精准诊断技术有限公司",
    "成都鱼凫食品有限公司", "四川天府川味调味品有限公司", "成都花都农业科技有限公司", "成都江安河生态农业有限公司",
    "成都芯瑞电子科技有限公司", "成都海科微电子有限公司", "成都智联精密制造有限公司", "成都蓉西物流有限公司",
    "四川万春冷链供应链有限公司", "成都永宁新材料科技有限公司", "成都金马河环保科技有限公司", "成都柳城文旅有限公司",
    "成都康养汇健康管理有限公司", "成都数智云软件有限公司", "四川锦绣包装印务有限公司", "成都鱼凫智慧物流园有限公司",
)
CONTACTS = ("李锐", "王芳", "张伟", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏",
            "徐强", "孙婷", "马骏", "朱琳", "胡斌", "郭涛", "何娟", "罗毅", "高峰", "林雪")
TOPICS = (  # category, title, what the enterprise reports
    ("approval", "新建厂房施工许可办理进度", "新建GMP厂房已完成施工图审查，施工许可申请提交两周仍无进展"),
    ("approval", "食品生产许可证延续办理", "食品生产许可证下月到期，延续申请材料两次被退回"),
    ("policy", "技改项目补助资金未兑现", "去年技术改造投资补助已公示，资金至今未拨付到位"),
    ("policy", "研发费用加计扣除政策咨询", "对研发费用加计扣除的归集口径和申报流程不清楚"),
    ("policy", "稳岗返还资金申领受阻", "稳岗返还资金申领时系统提示不符合条件，企业认为符合"),
    ("land", "二期扩产项目用地指标落实", "二期扩产项目约30亩用地指标尚未落实，影响项目开工"),
    ("land", "厂区边角地块规划调整", "厂区内边角地块规划为绿地，无法建设配套仓库"),
    ("utilities", "核药车间蒸汽管道无接入路径", "洁净车间需要稳定蒸汽，现有蒸汽管网没有接入路径"),
    ("utilities", "新增生产线需增容供电", "新增生产线用电负荷不足，需增容至2000千伏安"),
    ("utilities", "冬季天然气压力不稳", "用气高峰时段气压不足，影响烘干工序正常运行"),
    ("infrastructure", "厂区门前道路破损积水", "厂区门前道路破损，雨天积水严重，货车进出困难"),
    ("infrastructure", "园区缺少公交站点", "员工通勤不便，希望增设公交站点或开通园区通勤线路"),
    ("financing", "流动资金贷款贴息申请", "申请中小企业流动资金贷款贴息，希望协调合作银行"),
    ("financing", "知识产权质押融资对接", "企业拥有发明专利12项，希望对接知识产权质押融资"),
    ("talent", "高层次人才子女入学", "新引进的研发总监子女需办理就近入学"),
    ("talent", "新招研发人员人才公寓申请", "新招聘研发人员30名，申请入住人才公寓"),
    ("market", "新产品进入本地医疗机构采购", "新型检测试剂已取得注册证，希望对接区内医疗机构"),
    ("market", "本地配套供应商对接", "希望对接区内包装和冷链配套企业，降低物流成本"),
    ("technology", "高新技术企业认定辅导", "首次申报高新技术企业，希望获得申报辅导"),
    ("technology", "公共中试平台共享使用", "希望使用医学城公共中试平台开展工艺放大"),
    ("environment", "产能调整后环评变更", "产能调整后需变更环评，询问是否需要重新报批"),
    ("environment", "新建车间污水纳管", "新建车间污水需接入市政管网，纳管手续不清楚"),
    ("other", "厂区周边夜间治安问题", "夜间厂区周边多次发生车辆被盗，希望加强巡逻"),
    ("other", "员工食堂燃气安全指导", "希望对员工食堂燃气设施开展安全检查指导"),
)
ROUTES = {  # category -> departments that usually lead (the first two) or co-handle
    "approval": ("housing", "market-regulation", "dev-reform", "natural-resources"),
    "policy": ("econ-info", "finance", "dev-reform", "sci-tech"),
    "land": ("natural-resources", "hi-tech-zone", "dev-reform", "housing"),
    "utilities": ("hi-tech-zone", "econ-info", "housing", "natural-resources"),
    "infrastructure": ("housing", "yongning", "wanchun", "natural-resources"),
    "financing": ("finance", "econ-info", "dev-reform"),
    "talent": ("hi-tech-zone", "sci-tech", "housing", "finance"),
    "market": ("econ-info", "hi-tech-zone", "market-regulation"),
    "technology": ("sci-tech", "hi-tech-zone", "finance", "econ-info"),
    "environment": ("ecology", "hi-tech-zone", "housing"),
    "other": ("yongning", "wanchun", "econ-info", "market-regulation"),
}
ASKS = ("恳请相关部门协调解决。", "希望明确办理路径和时限。", "已影响正常生产经营，请尽快协调。")
CONTACT_NOTES = ("已电话联系企业负责人，了解诉求详情并约定现场踏勘。", "已上门走访企业，核实问题并告知办理流程。")
PROGRESS_NOTES = ("已组织相关科室会商，形成初步处理方案。", "已现场踏勘，正在核算工程量和费用。",
                  "已向市级主管部门请示，等待书面答复。", "已与企业召开协调会，明确分工和时间节点。")
CO_REPLIES = ("本单位职责范围内事项已办理完毕，无异议。", "已提供政策依据和资金安排意见，请主办单位统筹答复。")
WAIVER = "经主办单位说明，该事项不涉及该协办单位职责，免予协办答复。"
RETURNS = (("该事项属园区管网配套建设，不属于本单位职责。", "《温江区部门职能配置规定》及园区管委会职责清单"),
           ("诉求涉及用地规划调整，应由规划和自然资源部门办理。", "《温江区政府部门权责清单》"))
UPHELD = "经审定，该事项属本单位职责，退单理由不成立，请按时签收办理。"
REASSIGNED = "经审定，退单理由成立，改派{}办理。"
EXTENSIONS = ("需等待市级部门审批结果，申请延期。", "涉及管线迁改，需等待停电施工窗口。")
DECISIONS = {True: "同意延期，请在新时限内办结。", False: "延期理由不充分，请按原时限办结。"}
REPLIES = {Outcome.SOLVED: "经协调，问题已解决，相关手续已办结，请企业留意后续通知。",
           Outcome.EXPLAINED: "已向企业详细解释相关政策依据和办理条件，企业表示理解。",
           Outcome.UNSOLVABLE: "受上位规划限制，现阶段无法满足企业诉求，已向企业提出替代方案。"}
UNSOLVABLE = "上位规划调整尚未获批。"
COMMENTS = ("办理及时，非常满意。", "问题已解决，感谢。", "基本解决，希望后续跟进。",  # by Satisfaction, best first
            "问题没有实际解决。", "答复敷衍，很不满意。")
REOPEN = "企业反映问题仍未实际解决，要求重新办理。"
ESCALATIONS = {Escalation.URGE: "超过办理时限仍无实质进展，予以催办。",
               Escalation.SUPERVISE: "企业多次来电反映，列入督办事项。",
               Escalation.LISTED: "问题久拖未决，提请区领导挂牌督办。"}
WITHDRAW_BY_ENTERPRISE = ("问题已自行解决，申请撤回。", "已通过其他渠道解决，申请撤单。")
WITHDRAW_BY_CENTRE = ("经核实属个人劳动纠纷，不属企业诉求受理范围，已引导至劳动仲裁。", "企业已迁出本区，不再办理。")
UNREACHED = "回访期满，三次电话回访企业联系人均未接通，按规定销号。"
MERGED = "与{}反映同一问题，予以合并。"
# fmt: on


def credit_code(rng: random.Random) -> str:
    """A valid unified social credit code of an enterprise registered in Wenjiang district (510115)."""
    first17 = "91510115MA6" + "".join(rng.choice(ALPHABET) for _ in range(6))
    return first17 + check_character(first17)
