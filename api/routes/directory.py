"""The directory for integrators: which department and zone codes exist (every authenticated role)."""

from __future__ import annotations

from fastapi import APIRouter

from api.auth import CallerDep
from api.deps import DirectoryDep
from api.schemas.directory import DepartmentList, DepartmentOut, ZoneList, ZoneOut
from domain.directory import ZONE_NAMES

router = APIRouter(prefix="/v1", tags=["directory"])


@router.get("/departments", description="Every department cases may be dispatched to: code, Chinese name, zone.")
def departments(_: CallerDep, directory: DirectoryDep) -> DepartmentList:
    return DepartmentList(items=[DepartmentOut(code=d.code, name=d.name, zone=d.zone) for d in directory])


@router.get("/zones", description="The four zones (四大战区): code, Chinese name, and their departments' codes.")
def zones(_: CallerDep, directory: DirectoryDep) -> ZoneList:
    members = {code: [d.code for d in directory if d.zone == code] for code in ZONE_NAMES}
    return ZoneList(items=[ZoneOut(code=c, name=n, departments=members[c]) for c, n in ZONE_NAMES.items()])
