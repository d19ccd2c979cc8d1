"""A drop-in storage backend for the conversation memory EXAI inherited from the Zen/PAL MCP server.

PAL's ``utils/conversation_memory.py`` keeps each thread as one JSON document (a ``ThreadContext`` with its
``ConversationTurn`` list) under the key ``thread:{uuid}``, through a storage object with ``get(key)``,
``setex(key, ttl, value)`` and ``set_with_ttl(key, ttl, value)``. ``ExaiStoreStorage`` is such an object backed by
exai-store, so a thread survives restarts of EXAI's container::

    from exai_store.pal import ExaiStoreStorage
    storage = ExaiStoreStorage()          # EXAI_STORE_URL, EXAI_STORE_API_KEY

A thread becomes a session (``continuation_id`` = ``thread_id``; ``parent_thread_id`` its parent link when the parent
is stored; the TTL a sliding expiry), and each turn an appended message with its role, content, ``tool_name``,
``model_name`` as ``model`` and ``model_provider`` as ``provider``. What has no column of its own (the turn's
timestamp, its file and image paths as given, ``model_metadata``; the thread's timestamps, ``initial_context`` and
client fields) is kept in ``metadata`` (free-form objects as JSON text, whose key order jsonb would not keep), so
``get`` rebuilds the same document, byte for byte when it was written compact as pydantic writes it. Turns are appended with an
``Idempotency-Key`` made of the thread and the turn's index, so writing the whole document again appends only
the new turns, and a retry never stores one twice.

``get_context`` answers what the next model call should see, as the same document with fewer turns: the newest
that fit a token budget (across parent threads), and, with ``summaries=True``, a stored summary in place of the
older ones (under ``"summary"``, beside ``turns``). It is for building a prompt, not for writing back.
"""
from __future__ import annotations

import json
from typing import Any

from ._errors import NotFound
from .client import ExaiStore

_PREFIX = "thread:"
_THREAD_FIELDS = ("created_at", "last_updated_at", "tool_name", "session_fingerprint", "client_friendly_name")


class ExaiStoreStorage:
    """PAL's storage interface (``get``, ``setex``, ``set_with_ttl``) over exai-store, for ``thread:{uuid}`` keys."""

    def __init__(self, store: ExaiStore | None = None):
        self.store = store or ExaiStore()

    def setex(self, key: str, ttl: int, value: str) -> None:
        """Store a thread document: create its session once, then append the turns it does not hold yet."""
        thread_id = _thread_id(key)
        thread = json.loads(value)
        meta = {"pal": {name: thread.get(name) for name in _THREAD_FIELDS}}
        meta["pal"]["parent_thread_id"] = thread.get("parent_thread_id")
        # free-form objects are kept as JSON text: PostgreSQL's jsonb would reorder their keys
        meta["pal"]["initial_context"] = _text(thread.get("initial_context"))
        parent = thread.get("parent_thread_id")
        session = self.store.create_session(thread_id, metadata=meta, ttl_seconds=int(ttl), ttl_sliding=True,
                                            parent_continuation_id=parent if parent and self._exists(parent) else None)
        # the thread's own fields change over its life (last_updated_at): keep them current, and the TTL with them
        self.store.update_session(thread_id, metadata=meta, ttl_seconds=int(ttl))
        turns = thread.get("turns") or []
        for index in range(session["message_count"], len(turns)):
            turn = turns[index]
            self.store.add_message(
                thread_id, turn["role"], turn["content"], create=False, idempotency_key=f"pal:{thread_id}:{index}",
                tool_name=turn.get("tool_name"), model=turn.get("model_name"), provider=turn.get("model_provider"),
                metadata={"pal": {"timestamp": turn.get("timestamp"), "files": turn.get("files"),
                                  "images": turn.get("images"), "model_metadata": _text(turn.get("model_metadata"))}})

    def set_with_ttl(self, key: str, ttl: int, value: str) -> None:
        self.setex(key, ttl, value)

    def get(self, key: str) -> str | None:
        """The thread document as PAL stored it, or None when the thread is unknown or expired."""
        thread_id = _thread_id(key)
        try:
            session = self.store.get_session(thread_id)
        except NotFound:
            return None
        turns = [_turn(message) for message in self.store.get_messages(thread_id)]
        return json.dumps(_thread(thread_id, session, turns), separators=(",", ":"), ensure_ascii=False)

    def get_context(self, key: str, max_tokens: int, summaries: bool = False) -> str | None:
        """The thread document with only the turns the next model call should see within ``max_tokens`` (the newest,
        across the threads it continues, oldest first); with ``summaries``, a stored summary may stand in for the older
        turns: it is under ``"summary"`` (``id``, ``continuation_id``, ``through_seq``, ``content``, ``token_count``),
        null when none does. None when the thread is unknown or expired. Not to be written back with ``setex``."""
        thread_id = _thread_id(key)
        try:
            session = self.store.get_session(thread_id)
            context = self.store.context(thread_id, max_tokens, summaries=summaries)
        except NotFound:
            return None
        thread = _thread(thread_id, session, [_turn(message) for message in context["messages"]])
        if summaries:
            thread["summary"] = context["summary"]
        return json.dumps(thread, separators=(",", ":"), ensure_ascii=False)

    def _exists(self, thread_id: str) -> bool:
        try:
            self.store.get_session(thread_id)
            return True
        except NotFound:
            return False


def _turn(message: dict) -> dict:
    """A stored message as the ConversationTurn it was written from."""
    extra = (message.get("metadata") or {}).get("pal") or {}
    return {"role": message["role"], "content": message["content"], "timestamp": extra.get("timestamp"),
            "files": extra.get("files"), "images": extra.get("images"), "tool_name": message.get("tool_name"),
            "model_provider": message.get("provider"), "model_name": message.get("model"),
            "model_metadata": _value(extra.get("model_metadata"))}


def _thread(thread_id: str, session: dict, turns: list) -> dict:
    """The ThreadContext of a stored session, with the given turns."""
    pal = (session.get("metadata") or {}).get("pal") or {}
    return {"thread_id": thread_id, "parent_thread_id": pal.get("parent_thread_id"),
            "created_at": pal.get("created_at"), "last_updated_at": pal.get("last_updated_at"),
            "tool_name": pal.get("tool_name"), "turns": turns, "initial_context": _value(pal.get("initial_context")),
            "session_fingerprint": pal.get("session_fingerprint"), "client_friendly_name": pal.get("client_friendly_name")}


def _text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _value(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _thread_id(key: str) -> str:
    if not key.startswith(_PREFIX):
        raise ValueError(f"ExaiStoreStorage keeps conversation threads only (keys {_PREFIX}<uuid>), not {key!r}")
    return key[len(_PREFIX):]
