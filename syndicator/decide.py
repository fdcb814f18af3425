"""The decider: pure rules that turn (stored state, normalised entries) into intents.

Identity follows a persistent seen-set, never a date watermark: an entry is the
item its source guid names, else the item at its canonical URL, else the item
with the same text fingerprint (for task records, the national task code comes
right after the guid). A changed entry is a new version of that item; an
entry another source already gave is that item, now listing both sources.

Within one document every item is matched at most once, so a feed that reuses
one guid for several entries (it happens) neither collapses them nor makes them
flip versions on every pass: later entries are identified by their next unused
key instead, and a problem is reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .domain import Entry
from .normalize import item_id_for


@dataclass(frozen=True, slots=True)
class ItemState:
    """What the decider needs to know about a stored item."""

    item_id: str
    current_number: int
    current_hash: str
    source_hashes: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class NewItem:
    """Store a new item with its first version."""

    item_id: str
    entry: Entry
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewVersion:
    """Store a new version of an existing item."""

    item_id: str
    entry: Entry
    number: int
    keys: tuple[str, ...]
    source_is_new: bool


@dataclass(frozen=True, slots=True)
class AttachSource:
    """An existing item was found in another source with the same content."""

    item_id: str
    entry: Entry
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddKeys:
    """The item is unchanged but the entry names it by a key not stored yet (e.g. a new guid)."""

    item_id: str
    entry: Entry
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SourceCaughtUp:
    """The source now gives what the item already holds (its last hash moves; nothing new)."""

    item_id: str
    entry: Entry


Intent = NewItem | NewVersion | AttachSource | AddKeys | SourceCaughtUp


@dataclass(frozen=True, slots=True)
class Decision:
    """Intents for one batch, plus counts and problems."""

    intents: tuple[Intent, ...]
    unchanged: int
    problems: tuple[str, ...] = field(default=())

    @property
    def new(self) -> int:
        return sum(isinstance(i, NewItem) for i in self.intents)

    @property
    def updated(self) -> int:
        return sum(isinstance(i, NewVersion) for i in self.intents)


def candidate_keys(entry: Entry) -> tuple[str, ...]:
    """Identity keys of an entry, strongest first."""
    keys: list[str] = []
    if entry.guid:
        keys.append(f"g:{entry.source}:{entry.guid}")
    if entry.task is not None:
        keys.append(f"t:{entry.task.task_code}")
    if entry.url:
        keys.append(f"u:{entry.url}")
    if entry.fingerprint:
        keys.append(f"h:{entry.fingerprint}")
    return tuple(keys)


def content_key(entry: Entry) -> str:
    """The last resort: the entry's exact content, within its source.

    Stored only for an entry that nothing else identifies (no guid, link or long text), or whose
    other keys all belong to earlier entries of the same document (a reused guid).
    """
    return f"c:{entry.source}:{entry.content_hash}"


def all_candidate_keys(entries: Iterable[Entry]) -> set[str]:
    """Every key storage must look up before deciding a batch."""
    return {k for e in entries for k in (*candidate_keys(e), content_key(e))}


def decide(
    entries: Sequence[Entry],
    *,
    known_keys: Mapping[str, str],
    states: Mapping[str, ItemState],
) -> Decision:
    """Decide what each entry of one source's batch means for storage.

    ``known_keys`` maps stored identity keys to item ids; ``states`` holds the
    stored state of every item those keys name.
    """
    intents: list[Intent] = []
    problems: list[str] = []
    unchanged = 0
    matched: set[str] = set()  # items already matched in this batch
    assigned: dict[str, str] = {}  # keys claimed in this batch -> item id
    seen_guids: set[str] = set()
    for entry in entries:
        strong = candidate_keys(entry)
        keys = (*strong, content_key(entry))
        if entry.guid:
            if entry.guid in seen_guids:
                problems.append(
                    f"duplicate guid '{entry.guid}' in one document; the later entry is identified by its link or text"
                )
            seen_guids.add(entry.guid)
        item_id: str | None = None
        for key in keys:
            owner = assigned.get(key) or known_keys.get(key)
            if owner is not None and owner not in matched:
                item_id = owner
                break
        free = tuple(k for k in strong if k not in known_keys and k not in assigned)
        if not free and item_id is None and keys[-1] not in known_keys and keys[-1] not in assigned:
            free = (keys[-1],)
        if item_id is None:
            if not free:
                unchanged += 1  # an exact repeat inside the same document
                continue
            new_id = item_id_for(free[0])
            for k in free:
                assigned[k] = new_id
            matched.add(new_id)
            intents.append(NewItem(new_id, entry, free))
            continue
        matched.add(item_id)
        for k in free:
            assigned[k] = item_id
        state = states[item_id]
        last = state.source_hashes.get(entry.source)
        if last == entry.content_hash:
            unchanged += 1
            if free:
                intents.append(AddKeys(item_id, entry, free))
        elif entry.content_hash == state.current_hash:
            if last is None:
                intents.append(AttachSource(item_id, entry, free))
            else:
                intents.append(SourceCaughtUp(item_id, entry))
                unchanged += 1
        else:
            intents.append(NewVersion(item_id, entry, state.current_number + 1, free, last is None))
    return Decision(tuple(intents), unchanged, tuple(problems))
