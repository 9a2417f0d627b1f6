"""The 1+4+N service network: departments, towns and parks, each in one zone or none."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

ZONE_NAMES = {"zone-1": "第一战区", "zone-2": "第二战区", "zone-3": "第三战区", "zone-4": "第四战区"}  # 四大战区
ZONES = tuple(ZONE_NAMES)
COORDINATING_CENTRE = "service-center"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    zone: str | None = None


class Directory:
    """The departments cases may be dispatched to, by code."""

    def __init__(self, departments: Iterable[Department]) -> None:
        self._by_code = {d.code: d for d in departments}
        for d in self._by_code.values():
            if d.zone is not None and d.zone not in ZONES:
                raise ValueError(f"department {d.code}: unknown zone {d.zone!r}; zones are {', '.join(ZONES)}")

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Department]:
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Department:
        return self._by_code[code]
