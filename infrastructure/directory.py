"""The default department directory of DOMAIN.md, or an operator's replacement from a JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from domain.directory import Department, Directory

DEFAULT_DEPARTMENTS = (
    Department("dev-reform", "区发展和改革局"),
    Department("finance", "区财政局"),
    Department("econ-info", "区经济和信息化局"),
    Department("sci-tech", "区科学技术局"),
    Department("hi-tech-zone", "成都温江高新技术产业园区", "zone-1"),
    Department("wanchun", "万春镇", "zone-3"),
    Department("natural-resources", "区规划和自然资源局"),
    Department("housing", "区住房和城乡建设局"),
    Department("market-regulation", "区市场监督管理局"),
    Department("ecology", "区生态环境局"),
    Department("yongning", "永宁街道", "zone-2"),
    Department("service-center", "区企业发展促进中心"),
)


def load_directory(path: Path | None) -> Directory:
    """The default directory, or the file's: `[{"code": "...", "name": "...", "zone": "zone-1"|null}, ...]`."""
    if path is None:
        return Directory(DEFAULT_DEPARTMENTS)
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return Directory(Department(r["code"], r["name"], r.get("zone")) for r in rows)
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise ValueError(
            f"department directory {path}: {e}. Expected a JSON list of "
            '{"code": "finance", "name": "区财政局", "zone": null}'
        ) from e
