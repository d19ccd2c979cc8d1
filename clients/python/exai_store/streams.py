"""Streamed answers kept as they arrive.

``ExaiStore.stream_answer`` opens an assistant message with ``status: streaming`` and answers an ``AnswerStream``:
each ``write`` numbers a piece and hands it to a sender thread, which posts pieces in batches (a batch leaves when it
holds 64 pieces or its oldest piece has waited 50 ms) and retries a batch with the same indexes, so a retry stores
nothing twice; a batch is retried for up to ``retry_for`` seconds (default 60) while the store is unreachable or
answers 503, so an answer survives a restart of exai-store's container. Leaving the ``with`` block completes the answer; leaving it by an exception aborts it (the answer
keeps what was sent, as ``incomplete``), and the exception goes on.
"""
from __future__ import annotations

import asyncio
import threading
import time
import urllib.parse
from typing import Any

from ._errors import Unavailable

BATCH_PIECES = 64
BATCH_WAIT = 0.05
MAX_PIECES = 1000


class AnswerStream:
    """One answer being written; use it as a context manager (see the module's doc)."""

    def __init__(self, store: Any, continuation_id: str, opened: dict, retry_for: float = 60.0):
        self._store = store
        self._retry_for = retry_for
        self._path = f"/sessions/{urllib.parse.quote(continuation_id, safe='')}/messages/{opened['seq']}"
        self.continuation_id = continuation_id
        self.seq: int = opened["seq"]
        self.message: dict = opened
        self._pending: list[dict] = []
        self._next = 0
        self._oldest = 0.0
        self._sending = False
        self._closed = False
        self._error: BaseException | None = None
        self._ending: dict = {}
        self._cond = threading.Condition()
        self._sender = threading.Thread(target=self._send_loop, name=f"exai-store-answer-{self.seq}", daemon=True)
        self._sender.start()

    def write(self, content: str = "", reasoning: str | None = None) -> int:
        """Adds the next piece (a provider's delta: its text and, for a thinking model, its reasoning); answers its index.
        Never waits on the network; raises the error that stopped the sender, if one did."""
        with self._cond:
            if self._error is not None:
                raise self._error
            if self._closed:
                raise ValueError("the answer is finished; it takes no more pieces")
            piece = {"index": self._next, "content": content}
            if reasoning is not None:
                piece["reasoning"] = reasoning
            self._pending.append(piece)
            self._next += 1
            if len(self._pending) == 1:
                self._oldest = time.monotonic()
            if len(self._pending) in (1, BATCH_PIECES):
                self._cond.notify_all()
            return piece["index"]

    def finish(self, token_count: int | None = None, usage: dict | None = None, finish_reason: str | None = None) -> None:
        """Sets what the completion says (the provider's token count, usage and finish reason); optional."""
        self._ending = {k: v for k, v in {"token_count": token_count, "usage": usage, "finish_reason": finish_reason}.items()
                        if v is not None}

    def flush(self) -> None:
        """Waits until every piece written so far is committed; raises the sender's error, if any."""
        with self._cond:
            self._cond.notify_all()
            while (self._pending or self._sending) and self._error is None:
                self._cond.wait(0.5)
            if self._error is not None:
                raise self._error

    def complete(self) -> dict:
        """Sends what is left and completes the answer; answers the finished message."""
        self.flush()
        self._stop()
        self.message = self._post("/complete", {"chunks": self._next, **self._ending})
        return self.message

    def abort(self) -> dict:
        """Sends what it can and ends the answer short: ``incomplete``, with its contiguous pieces."""
        try:
            self.flush()
        except Exception:  # the pieces that reached the store are kept; the abort says so
            pass
        self._stop()
        body = {"chunks": self._next, "finish_reason": "aborted"}
        if "token_count" in self._ending:
            body["token_count"] = self._ending["token_count"]
        self.message = self._post("/complete", body)
        return self.message

    def __enter__(self) -> "AnswerStream":
        return self

    def __exit__(self, kind, error, trace) -> bool:
        if kind is None:
            self.complete()
        else:
            try:
                self.abort()
            except Exception:  # the original error matters more than a failed abort
                self._stop()
        return False

    def _stop(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._sender.join()

    def _send_loop(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._pending and (self._closed or len(self._pending) >= BATCH_PIECES
                                          or time.monotonic() - self._oldest >= BATCH_WAIT):
                        break
                    if self._closed and not self._pending:
                        return
                    self._cond.wait(None if not self._pending else max(0.0, BATCH_WAIT - (time.monotonic() - self._oldest)))
                batch = self._pending[:MAX_PIECES]
                del self._pending[:len(batch)]
                if self._pending:
                    self._oldest = time.monotonic()
                self._sending = True
            try:
                self._post("/chunks", batch)
            except BaseException as error:  # noqa: BLE001 - handed to the writer
                with self._cond:
                    self._error = error
                    self._sending = False
                    self._cond.notify_all()
                return
            with self._cond:
                self._sending = False
                self._cond.notify_all()

    def _post(self, suffix: str, body: Any) -> Any:
        """Posts pieces or the completion until answered, for up to ``retry_for`` seconds while the store is unreachable
        or unavailable: each try sends the same indexes and text (a batch stored before its answer was lost stores 0),
        and a completion is idempotent."""
        deadline = time.monotonic() + self._retry_for
        pause = 0.1
        while True:
            try:
                return self._store._call("POST", self._path + suffix, body=body)
            except (ConnectionError, Unavailable):
                if time.monotonic() + pause > deadline:
                    raise
                time.sleep(pause)
                pause = min(2.0, pause * 2)


class AsyncAnswerStream:
    """The asyncio twin of ``AnswerStream``: ``async with``, ``await write(...)``; the sending is the same thread's."""

    def __init__(self, opening):
        self._opening = opening
        self._stream: AnswerStream | None = None

    async def __aenter__(self) -> "AsyncAnswerStream":
        self._stream = await asyncio.to_thread(self._opening)
        return self

    async def __aexit__(self, kind, error, trace) -> bool:
        return await asyncio.to_thread(self._stream.__exit__, kind, error, trace)

    @property
    def seq(self) -> int:
        return self._stream.seq

    @property
    def message(self) -> dict:
        return self._stream.message

    async def write(self, content: str = "", reasoning: str | None = None) -> int:
        return self._stream.write(content, reasoning)

    def finish(self, token_count: int | None = None, usage: dict | None = None, finish_reason: str | None = None) -> None:
        self._stream.finish(token_count, usage, finish_reason)

    async def flush(self) -> None:
        await asyncio.to_thread(self._stream.flush)
