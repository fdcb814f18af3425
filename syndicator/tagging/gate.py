"""The secrecy gate: the one function that decides whether an item may leave the system.

Every output path — feeds, deliveries, exports, the API and the console —
asks :func:`may_leave` before it shows or sends anything of an item. An item
is held back when it is marked restricted (a state-secret task record, or an
operator's decision), carries the ``restricted`` tag, or was withdrawn. A state-secret task
record stays restricted whatever later versions, tags or rules say.
"""

from __future__ import annotations

from ..domain import Item, Secrecy

RESTRICTED = "restricted"


def is_secret(item: Item) -> bool:
    """True when any known version of the item is a task record that is not public."""
    versions = item.versions or (item.current,)
    return any(v.task is not None and v.task.secrecy is not Secrecy.PUBLIC for v in versions)


def may_leave(item: Item) -> bool:
    """Whether anything of this item may be published, sent, exported or shown."""
    if item.restricted or item.withdrawn_at is not None or is_secret(item):
        return False
    return all(t.name != RESTRICTED for t in item.tags)
