"""Where each projection stands: position of its active generation, the log's head, and the lag."""

from __future__ import annotations

from typing import Any

from infrastructure.container import Container


def projection_status(container: Container) -> dict[str, Any]:
    head = container.store.recorder.max_notification_id() or 0
    rows = []
    for projection in container.projections:
        generation = container.views.active_generation(projection.name)
        position = container.views.position(projection.name, generation)
        rows.append({"name": projection.name, "generation": generation, "position": position, "lag": head - position})
    return {"head": head, "projections": rows}


def generations_not_live(container: Container) -> dict[str, list[dict[str, Any]]]:
    """Per projection, its generations that readers do not use: one a rebuild is building (`building`), or one a
    rebuild that stopped before switching left behind (the next rebuild of the projection drops it)."""
    from infrastructure.views.rebuild import rebuild_running

    found: dict[str, list[dict[str, Any]]] = {}
    for projection in container.projections:
        others = [g for g, active in container.views.generations(projection.name) if not active]
        if others:
            building = rebuild_running(container, projection.name)
            found[projection.name] = [
                {"generation": g, "position": container.views.position(projection.name, g), "building": building}
                for g in others
            ]
    return found
