"""The handling policy: default limits in working days, versioned so past due dates stay explainable."""

from __future__ import annotations

from dataclasses import dataclass

from domain.values import Tier, Urgency


@dataclass(frozen=True)
class Policy:
    version: str = "2026.1"
    sign_for: int = 1
    first_contact: int = 1
    handling_normal: int = 5
    handling_urgent: int = 1
    resolution: int = 15
    co_reply: int = 3
    extension_maximum: int = 30
    revisit_window: int = 5
    supervision: int = 5

    def main_limit(self, tier: Tier, urgency: Urgency) -> int:
        """Urgency shortens tier 1 only."""
        if tier is Tier.RESOLUTION:
            return self.resolution
        return self.handling_urgent if urgency is Urgency.URGENT else self.handling_normal


DEFAULT_POLICY = Policy()
