"""Demo major projects (重大项目) of Wenjiang, on each of the four lists in each colour, and their project issues."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from uuid import UUID

from api.demo_data import credit_code
from application.cases import NewCase
from application.execution import CommandContext
from application.projects import NewProject
from domain.project import Milestone
from domain.schedule import local_date
from domain.values import Actor, Kind
from infrastructure.container import Container

S, IS, C, IP = Milestone
EVIDENCE = {
    S: "施工许可证及开工报告",
    IS: "四川省投资项目在线审批监管平台入库截图",
    C: "竣工验收备案表",
    IP: "投产达效验收意见",
}


@dataclass(frozen=True)
class DemoProject:
    """One project; every date is given in days from the demo's last day (negative: before it)."""

    name: str
    owner: str
    zone: str
    investment: float  # 万元
    signed: int
    planned: tuple[int, int, int]  # start, completion, production
    milestones: tuple[tuple[Milestone, int], ...] = ()
    percent: float | None = None


# fmt: off
PROJECTS = (  # on the last day, by list: 开工入库 green, yellow, red (late to start), red (not in statistics)
    DemoProject("温江智能制造产业园标准厂房项目", "成都智联精密制造有限公司", "zone-4", 35000, -200,
                (75, 700, 800)),
    DemoProject("新型显示材料生产线项目", "成都永宁新材料科技有限公司", "zone-2", 28000, -300,
                (-20, 600, 700)),
    DemoProject("川味调味品精深加工项目", "四川天府川味调味品有限公司", "zone-2", 8000, -400,
                (-130, 500, 600)),
    DemoProject("金马河生态环保装备制造项目", "成都金马河环保科技有限公司", "zone-4", 12000, -400,
                (-100, 500, 600), ((S, -90),), 8),
    # 加快建设 green, yellow, red (against 50% of the planned construction period)
    DemoProject("成都医学城细胞治疗产业化基地项目", "成都蓉康生物医药有限公司", "zone-1", 150000, -500,
                (-300, 300, 420), ((S, -295), (IS, -270)), 48),
    DemoProject("海科微电子封装测试基地项目", "成都海科微电子有限公司", "zone-1", 60000, -500,
                (-300, 300, 400), ((S, -300), (IS, -280)), 32),
    DemoProject("远大医药放射性药物研发及生产基地项目", "远大医药（中国）有限公司", "zone-1", 120000, -600,
                (-365, 365, 500), ((S, -360), (IS, -330)), 12),
    # 按期竣工 green, yellow, red
    DemoProject("天府农博冷链物流中心项目", "四川万春冷链供应链有限公司", "zone-3", 20000, -700,
                (-540, 60, 150), ((S, -540), (IS, -500)), 88),
    DemoProject("花都种苗繁育及农业科技园项目", "成都花都农业科技有限公司", "zone-3", 6000, -600,
                (-400, 20, 100), ((S, -400), (IS, -380)), 75),
    DemoProject("鱼凫湿地文旅综合体项目", "成都鱼凫智慧物流园有限公司", "zone-2", 45000, -800,
                (-600, -15, 60), ((S, -600), (IS, -580)), 93),
    # 投产达效 green, yellow, red
    DemoProject("数智云数字经济产业园项目", "成都数智云软件有限公司", "zone-4", 30000, -900,
                (-700, -70, 120), ((S, -700), (IS, -680), (C, -60)), 100),
    DemoProject("华蜀高端医疗器械生产基地项目", "成都华蜀医疗器械有限公司", "zone-1", 18000, -900,
                (-700, -90, 20), ((S, -700), (IS, -690), (C, -80)), 100),
    DemoProject("金岷药业固体制剂车间扩能项目", "四川金岷药业有限责任公司", "zone-1", 9000, -900,
                (-720, -210, -20), ((S, -720), (IS, -700), (C, -200)), 100),
    # in production, below 500万元: on no list
    DemoProject("柳城古镇文旅街区提升项目", "成都柳城文旅有限公司", "zone-4", 300, -900,
                (-800, -300, -200), ((S, -800), (C, -300), (IP, -150)), 100),
)
# fmt: on


def load_projects(
    container: Container, by: Actor, last_day: date, firms: list[tuple[str, str, str]], seed: int
) -> dict[str, str]:
    """Register the demo projects at the clock's time, with milestones dated on or before it, so that on `last_day`
    each stands where PROJECTS says. Owners that are demo firms keep their credit codes. Returns, per owner's
    credit code, the id of its first project."""
    rng = random.Random(f"projects-{seed}")  # noqa: S311 - demo data, not secrets; apart from the firms' codes
    credit_codes = {name: code for name, code, _ in firms}
    today = local_date(container.clock.now())
    owned: dict[str, str] = {}
    for n, p in enumerate(PROJECTS, start=1):
        owner = credit_codes.get(p.owner) or credit_code(rng)
        project_id = _load(container, by, p, f"WJ-{last_day.year}-{n:03d}", owner, last_day, today)
        owned.setdefault(owner, str(project_id))
    return owned


def _load(container: Container, by: Actor, p: DemoProject, code: str, owner: str, last: date, today: date) -> UUID:
    def on(offset: int) -> date:
        return min(last + timedelta(days=offset), today)  # never after the moment it is recorded

    start, completion, production = (last + timedelta(days=d) for d in p.planned)
    new = NewProject(
        name=p.name,
        code=code,
        owner={"name": p.owner, "credit_code": owner},
        zone=p.zone,
        planned_investment=float(p.investment),
        planned={"start": start, "completion": completion, "production": production},
        signed_on=on(p.signed),
    )
    projects = container.projects
    project_id = projects.register(CommandContext(by), new).project.id
    for milestone, offset in p.milestones:
        projects.record_milestone(
            project_id, CommandContext(by), milestone=milestone, date=on(offset), evidence=EVIDENCE[milestone]
        )
    if p.percent is not None:
        invested = round(p.investment * p.percent / 100 * 0.9, 2)
        projects.report_progress(
            project_id,
            CommandContext(by),
            percent_complete=p.percent,
            investment_to_date=invested,
            note="月度调度会报送进度",
        )
    return project_id


def as_project_issue(new: NewCase, n: int, owned: dict[str, str]) -> NewCase:
    """Every third case of a firm that owns a demo project is an issue of that project (项目问题)."""
    project_id = owned.get(new.enterprise["credit_code"])
    if project_id is None or n % 3:
        return new
    return replace(new, kind=Kind.PROJECT_ISSUE, project_id=project_id)
