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
