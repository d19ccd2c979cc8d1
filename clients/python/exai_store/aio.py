"""The asyncio client: the same calls as ``ExaiStore``, awaitable, never blocking the event loop.

Each call runs the blocking client's call on a worker thread (``asyncio.to_thread``), so EXAI's event loop keeps
serving while one call waits on the network, and calls made at once are in flight at once (up to the size of the
loop's default executor). Retries, idempotency keys and errors are the blocking client's.
"""
from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Iterable

from .client import ExaiStore
from .events import Event
from .streams import AsyncAnswerStream


class AsyncExaiStore:
    """A connection to one exai-store for asyncio code; safe to share between tasks."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout: float = 30.0,
                 retries: int = 4, backoff: float = 0.2):
        self.sync = ExaiStore(base_url, api_key, timeout, retries, backoff)

    async def _run(self, call, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(call, *args, **kwargs)

    async def create_session(self, continuation_id: str | None = None, **fields: Any) -> dict:
        """Get-or-create the session EXAI holds an id for (see ``ExaiStore.create_session``)."""
        return await self._run(self.sync.create_session, continuation_id, **fields)

    async def get_session(self, continuation_id: str) -> dict:
        return await self._run(self.sync.get_session, continuation_id)

    async def update_session(self, continuation_id: str, **fields: Any) -> dict:
        return await self._run(self.sync.update_session, continuation_id, **fields)

    async def delete_session(self, continuation_id: str, cascade: bool = False) -> None:
        await self._run(self.sync.delete_session, continuation_id, cascade)

    async def fork(self, continuation_id: str, new_continuation_id: str | None = None, at_seq: int | None = None,
                   **fields: Any) -> dict:
        return await self._run(self.sync.fork, continuation_id, new_continuation_id, at_seq, **fields)

    async def context(self, continuation_id: str, max_tokens: int, **options: Any) -> dict:
        """What the next model call should see (see ``ExaiStore.context``)."""
        return await self._run(self.sync.context, continuation_id, max_tokens, **options)

    async def add_summary(self, continuation_id: str, through_seq: int, content: str, **fields: Any) -> dict:
        """Store a summary of the history through ``through_seq`` (see ``ExaiStore.add_summary``)."""
        return await self._run(self.sync.add_summary, continuation_id, through_seq, content, **fields)

    async def summarize(self, continuation_id: str, through_seq: int, provider: str, model: str, **options: Any) -> dict:
        """Have the store write a summary with a provider's model (see ``ExaiStore.summarize``)."""
        return await self._run(self.sync.summarize, continuation_id, through_seq, provider, model, **options)

    async def list_summaries(self, continuation_id: str, **paging: Any) -> dict:
        return await self._run(self.sync.list_summaries, continuation_id, **paging)

    async def get_summary(self, continuation_id: str, summary_id: str) -> dict:
        return await self._run(self.sync.get_summary, continuation_id, summary_id)

    async def delete_summary(self, continuation_id: str, summary_id: str) -> None:
        await self._run(self.sync.delete_summary, continuation_id, summary_id)

    async def add_message(self, continuation_id: str, role: str, content: str, **fields: Any) -> dict:
        return await self._run(self.sync.add_message, continuation_id, role, content, **fields)

    async def add_messages(self, continuation_id: str, messages: list[dict], **fields: Any) -> list[dict]:
        return await self._run(self.sync.add_messages, continuation_id, messages, **fields)

    def stream_answer(self, continuation_id: str, **fields: Any) -> AsyncAnswerStream:
        """``async with store.stream_answer(cid, model=...) as answer: await answer.write(delta)`` (see
        ``ExaiStore.stream_answer``): opened on entry, completed on exit, aborted by an exception."""
        return AsyncAnswerStream(lambda: self.sync.stream_answer(continuation_id, **fields))

    async def get_messages(self, continuation_id: str, **paging: Any) -> list[dict]:
        return await self._run(self.sync.get_messages, continuation_id, **paging)

    async def update_message(self, continuation_id: str, seq: int, metadata: dict | None) -> dict:
        return await self._run(self.sync.update_message, continuation_id, seq, metadata)

    async def redact_message(self, continuation_id: str, seq: int) -> None:
        await self._run(self.sync.redact_message, continuation_id, seq)

    async def search(self, q: str, **options: Any) -> dict:
        return await self._run(self.sync.search, q, **options)

    async def list_sessions(self, **options: Any) -> dict:
        return await self._run(self.sync.list_sessions, **options)

    async def export_session(self, continuation_id: str, **options: Any) -> bytes | str:
        return await self._run(self.sync.export_session, continuation_id, **options)

    async def import_session(self, source: str | bytes, **options: Any) -> dict:
        return await self._run(self.sync.import_session, source, **options)

    async def upload_file(self, source: str | bytes, **fields: Any) -> dict:
        return await self._run(self.sync.upload_file, source, **fields)

    async def get_file(self, file_id: str) -> dict:
        return await self._run(self.sync.get_file, file_id)

    async def download_file(self, file_id: str, destination: str | None = None) -> bytes | str:
        return await self._run(self.sync.download_file, file_id, destination)

    async def delete_file(self, file_id: str) -> None:
        await self._run(self.sync.delete_file, file_id)

    async def upload_to_provider(self, file_id: str, provider: str) -> dict:
        return await self._run(self.sync.upload_to_provider, file_id, provider)

    async def extract_text(self, file_id: str, provider: str) -> str:
        return await self._run(self.sync.extract_text, file_id, provider)

    async def record_samples(self, samples: Iterable[dict]) -> int:
        return await self._run(self.sync.record_samples, list(samples))

    async def events(self, after: int | None = None, types: list[str] | None = None,
                     continuation_id: str | None = None) -> AsyncIterator[Event]:
        """The change feed as an async iterator (see ``ExaiStore.events``): each read waits on a worker thread, and
        leaving the ``async for`` (or cancelling the task) closes the stream."""
        stream = await asyncio.to_thread(self.sync.events, after, types, continuation_id)
        try:
            while True:
                event = await asyncio.to_thread(next, stream, None)
                if event is None:
                    return
                yield event
        finally:
            stream.close()
