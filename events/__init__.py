"""Domain events and the unit of work that releases them after commit.

`queue_event(fact)` from an action; `atomic()` around a transport's work (or an action,
which then joins it). See events.unit_of_work for the whole path and docs/architecture.md.
"""
from events.unit_of_work import (
    atomic,
    connection_for_a_read,
    note_in_any_case,
    on_commit,
    on_rollback,
    outside_the_database,
    queue_event,
)

__all__ = ["atomic", "connection_for_a_read", "note_in_any_case", "on_commit", "on_rollback", "outside_the_database",
           "queue_event"]
