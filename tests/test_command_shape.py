"""STYLE.md's promise: a case command is the aggregate's method, one use case with its roles, and one route whose
description is the use case's docstring (docs/adding-a-command.md). This fails, naming the missing piece, when a
command is added without one of them."""

from __future__ import annotations

import ast
import inspect

from api.app import create_app
from application.access import PERMITTED
from application.cases import CaseService


def case_commands() -> dict[str, str]:
    """Each public CaseService method, with the use-case name it hands to the pipeline (`_run` or `executor.*`)."""
    found = {}
    for name, method in inspect.getmembers(CaseService, inspect.isfunction):
        if name.startswith("_"):
            continue
        for node in ast.walk(ast.parse(inspect.getsource(method).strip().replace("\n    ", "\n"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("_run", "run", "create"):
                use_case = next(a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str))
                found[name] = use_case
    return found


def keyword_names(use_case: str, service: type = CaseService) -> set[str]:
    parameters = inspect.signature(getattr(service, use_case)).parameters.values()
    return {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def test_command_shape_finds_the_commands() -> None:
    commands = case_commands()
    assert {"register", "dispatch", "sign_for", "waive_co_reply", "merge"} <= set(commands)
    assert len(commands) == 19  # with erase_personal_data


def test_command_shape_every_case_command_has_its_roles() -> None:
    assert [use_case for use_case in case_commands().values() if use_case not in PERMITTED] == []


def test_command_shape_every_case_command_has_a_route_described_by_its_docstring() -> None:
    document = create_app(lambda: None).openapi()  # type: ignore[arg-type,return-value]
    described = {op.get("description") for path in document["paths"].values() for op in path.values()}
    missing = [name for name in case_commands() if (getattr(CaseService, name).__doc__ or "").strip() not in described]
    assert missing == []


def test_command_shape_every_console_form_posts_its_body_fields_as_the_use_case_keywords() -> None:
    """The case page calls the use case with the body's fields as keywords: they must be exactly its keywords."""
    from api.console.actions import ACTS

    for name, act in ACTS.items():
        fields = set(act.schema.model_fields) if act.schema else set()
        assert fields == keyword_names(act.method or name), name
        assert case_commands()[act.method or name] == name  # the form's name is the use case's access name


def test_command_shape_every_case_route_posts_its_body_fields_as_the_use_case_keywords() -> None:
    """The command routes hand the body's fields to the use case as keywords: they must be exactly its keywords."""
    from api.routes import cases, projects
    from application.projects import ProjectService

    for table, service in ((cases.COMMANDS, CaseService), (projects.COMMANDS, ProjectService)):
        for command in table:
            assert set(command.body.model_fields) == keyword_names(command.use_case, service), command.path
    assert {c.use_case for c in cases.COMMANDS} == set(case_commands()) - {"register"}  # register builds its case
    assert {c.use_case for c in projects.COMMANDS} == {"record_milestone", "report_progress"}
