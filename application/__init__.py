"""Use cases of casetrail: one method per command or query, over the event store."""
