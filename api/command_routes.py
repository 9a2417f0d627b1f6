"""Command routes from a table: a row names the path, the use case and the body; the route runs the use case with
the body's fields as its keywords (tests/test_command_shape.py holds them to it) and is described by its docstring."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from inspect import Parameter, Signature
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.auth import CallerDep
from api.commands import HeadersDep, keywords
from api.routes.params import doc
from domain.values import Actor

KEYWORD = Parameter.KEYWORD_ONLY


@dataclass(frozen=True)
class Command:
    """POST <stream's path>/<path> with `body`, running the service's `use_case`."""

    path: str
    use_case: str
    body: type[BaseModel]
    body_optional: bool = False  # a command with nothing to say may leave the body out


@dataclass(frozen=True)
class Commands:
    """The command routes of one kind of stream: its path, its id parameter, its service and how a result is
    answered (with the caller, who may see more or less of it)."""

    stream_path: str  # e.g. "/v1/projects/{project_id}"
    id_name: str  # the path parameter, e.g. "project_id"
    service: type  # the use cases' class (for the descriptions)
    service_dep: Any  # its dependency, e.g. ProjectsDep
    answer: Callable[[Any, Actor], JSONResponse]
    response_model: type[BaseModel]

    def add(self, router: APIRouter, commands: Sequence[Command]) -> None:
        for command in commands:
            router.add_api_route(
                f"{self.stream_path}/{command.path}",
                self.endpoint(command),
                methods=["POST"],
                response_model=self.response_model,
                description=doc(getattr(self.service, command.use_case)),
            )

    def endpoint(self, command: Command) -> Callable[..., JSONResponse]:
        """The route function, named as its use case (operation id `<tag>_<use case>`), with the signature FastAPI
        reads its parameters from: the id, the body, the caller, the service and the command headers."""

        def run(**values: Any) -> JSONResponse:
            body, caller, h = values["body"], values["caller"], values["h"]
            use_case = getattr(values["service"], command.use_case)
            return self.answer(use_case(values[self.id_name], h.command(caller, body), **keywords(body)), caller)

        if command.body_optional:
            body = Parameter("body", KEYWORD, annotation=Annotated[command.body | None, Body()], default=None)
        else:
            body = Parameter("body", KEYWORD, annotation=command.body)
        run.__signature__ = Signature(  # type: ignore[attr-defined]
            [
                Parameter(self.id_name, KEYWORD, annotation=UUID),
                body,
                Parameter("caller", KEYWORD, annotation=CallerDep),
                Parameter("service", KEYWORD, annotation=self.service_dep),
                Parameter("h", KEYWORD, annotation=HeadersDep),
            ],
            return_annotation=JSONResponse,
        )
        run.__name__ = run.__qualname__ = command.use_case
        return run
