"""The blocking client.

Every call that writes carries an Idempotency-Key made once per logical call and reused on each retry, so a retry
after a timeout or a dropped connection never stores twice. Calls are retried with exponential backoff on 503 and on
connection errors; every error answer becomes an ``ExaiStoreError`` subclass carrying the RFC 9457 problem details.
Each thread keeps one keep-alive connection (``http.client``) and reuses it call after call, instead of a new TCP
connection per call.
"""
from __future__ import annotations

import http.client
import json
import mimetypes
import os
import threading
import time
import urllib.parse
import uuid
from typing import Any, Iterable

from ._errors import from_status
from .events import EventStream
from .streams import AnswerStream


class ExaiStore:
    """A connection to one exai-store; safe to share between threads."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, timeout: float = 30.0,
                 retries: int = 4, backoff: float = 0.2):
        self.base_url = (base_url or os.environ.get("EXAI_STORE_URL", "http://localhost:8080")).rstrip("/")
        self.api_key = api_key or os.environ.get("EXAI_STORE_API_KEY", "")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._target = urllib.parse.urlsplit(self.base_url)
        self._local = threading.local()  # each thread's keep-alive connection

    # Sessions ---------------------------------------------------------------------------------------------
    def create_session(self, continuation_id: str | None = None, user_id: str | None = None, title: str | None = None,
                       metadata: dict | None = None, ttl_seconds: int | None = None, ttl_sliding: bool | None = None,
                       max_messages: int | None = None, parent_continuation_id: str | None = None,
                       parent_seq: int | None = None) -> dict:
        """Get-or-create the session EXAI holds an id for; with no id, create one with a server-made id.

        ``parent_continuation_id`` (with ``parent_seq``) makes it continue another session; ``max_messages`` caps its
        turns; ``ttl_sliding`` moves its expiry to now + ``ttl_seconds`` on every append. All apply only on create.
        """
        body = _compact({"user_id": user_id, "title": title, "metadata": metadata, "ttl_seconds": ttl_seconds,
                         "ttl_sliding": ttl_sliding, "max_messages": max_messages,
                         "parent_continuation_id": parent_continuation_id, "parent_seq": parent_seq})
        if continuation_id is None:
            return self._call("POST", "/sessions", body=body, idempotency_key=None)
        return self._call("PUT", "/sessions/" + _quote(continuation_id), body=body)

    def get_session(self, continuation_id: str) -> dict:
        return self._call("GET", "/sessions/" + _quote(continuation_id))

    def update_session(self, continuation_id: str, title: str | None = None, metadata: dict | None = None,
                       ttl_seconds: int | None = None) -> dict:
        """Merge-patch a session's title, metadata (merged key by key) and TTL (which restarts its expiry)."""
        body = _compact({"title": title, "metadata": metadata, "ttl_seconds": ttl_seconds})
        return self._call("PATCH", "/sessions/" + _quote(continuation_id), body=body)

    def delete_session(self, continuation_id: str, cascade: bool = False) -> None:
        """Delete a session; with ``cascade``, also the sessions that continue it (else they make it a Conflict)."""
        self._call("DELETE", "/sessions/" + _quote(continuation_id), query={"cascade": "true"} if cascade else None)

    def fork(self, continuation_id: str, new_continuation_id: str | None = None, at_seq: int | None = None,
             **fields: Any) -> dict:
        """Branch a session at ``at_seq`` (default: its last) into a new session that continues it."""
        body = _compact({"continuation_id": new_continuation_id, "at_seq": at_seq, **fields})
        return self._call("POST", f"/sessions/{_quote(continuation_id)}/fork", body=body)

    def context(self, continuation_id: str, max_tokens: int, reserve_tokens: int = 0, include_chain: bool = True,
                include_reasoning: bool = False, summaries: bool = False) -> dict:
        """What the next model call should see: the newest messages within the token budget, oldest first, with the
        files and images they refer to (each once, newest reference first), totals and what was left out. With
        ``summaries``, a stored summary may stand in for the older turns (the answer's ``summary``)."""
        query = {"max_tokens": str(max_tokens), "reserve_tokens": str(reserve_tokens),
                 "include_chain": str(include_chain).lower(), "include_reasoning": str(include_reasoning).lower()}
        if summaries:
            query["summaries"] = "true"
        return self._call("GET", f"/sessions/{_quote(continuation_id)}/context", query=query)

    # Summaries --------------------------------------------------------------------------------------------
    def add_summary(self, continuation_id: str, through_seq: int, content: str, token_count: int | None = None,
                    model: str | None = None, metadata: dict | None = None, idempotency_key: str | None = None) -> dict:
        """Store a summary of the session's history through message ``through_seq``; a context read with
        ``summaries=True`` may send it in place of those turns. It goes stale if one of them is redacted."""
        body = _compact({"through_seq": through_seq, "content": content, "token_count": token_count, "model": model,
                         "metadata": metadata})
        return self._call("POST", f"/sessions/{_quote(continuation_id)}/summaries", body=body,
                          idempotency_key=idempotency_key or str(uuid.uuid4()))

    def summarize(self, continuation_id: str, through_seq: int, provider: str, model: str, max_tokens: int | None = None,
                  instructions: str | None = None, window_tokens: int | None = None, metadata: dict | None = None,
                  idempotency_key: str | None = None) -> dict:
        """Have the store write the summary of the history through ``through_seq`` with a provider's model (``"kimi"``
        or ``"glm"``), from the turns that fit ``window_tokens`` and an older summary for the rest; answers it."""
        generate = _compact({"provider": provider, "model": model, "max_tokens": max_tokens, "instructions": instructions,
                             "window_tokens": window_tokens})
        return self._call("POST", f"/sessions/{_quote(continuation_id)}/summaries",
                          body=_compact({"through_seq": through_seq, "generate": generate, "metadata": metadata}),
                          idempotency_key=idempotency_key or str(uuid.uuid4()))

    def list_summaries(self, continuation_id: str, limit: int = 50, cursor: str | None = None) -> dict:
        """One page of the session's summaries, newest first (stale ones with ``stale: True`` and no content)."""
        return self._call("GET", f"/sessions/{_quote(continuation_id)}/summaries",
                          query=_compact({"limit": str(limit), "cursor": cursor}))

    def get_summary(self, continuation_id: str, summary_id: str) -> dict:
        return self._call("GET", f"/sessions/{_quote(continuation_id)}/summaries/{_quote(summary_id)}")

    def delete_summary(self, continuation_id: str, summary_id: str) -> None:
        self._call("DELETE", f"/sessions/{_quote(continuation_id)}/summaries/{_quote(summary_id)}")

    # Messages ---------------------------------------------------------------------------------------------
    def add_message(self, continuation_id: str, role: str, content: str, metadata: dict | None = None,
                    token_count: int | None = None, create: bool = True, idempotency_key: str | None = None,
                    tool_name: str | None = None, model: str | None = None, provider: str | None = None,
                    usage: dict | None = None, files: list[str] | None = None, images: list[str] | None = None,
                    reasoning: str | None = None) -> dict:
        """Append one message (creating the session when asked); answers the stored message with its seq.

        ``tool_name``, ``model``, ``provider`` and ``usage`` (``{"input_tokens", "output_tokens"}``) say what made the
        turn; ``files`` and ``images`` are file ids it refers to; ``reasoning`` is a thinking model's reasoning,
        kept apart from ``content``.
        """
        body = _compact({"role": role, "content": content, "metadata": metadata, "token_count": token_count,
                         "tool_name": tool_name, "model": model, "provider": provider, "usage": usage,
                         "files": files, "images": images, "reasoning": reasoning})
        return self._call("POST", f"/sessions/{_quote(continuation_id)}/messages", body=body,
                          query={"create": "true"} if create else None,
                          idempotency_key=idempotency_key or str(uuid.uuid4()))

    def add_messages(self, continuation_id: str, messages: list[dict], create: bool = True,
                     idempotency_key: str | None = None) -> list[dict]:
        """Append several messages in order, atomically."""
        return self._call("POST", f"/sessions/{_quote(continuation_id)}/messages", body=messages,
                          query={"create": "true"} if create else None,
                          idempotency_key=idempotency_key or str(uuid.uuid4()))

    def stream_answer(self, continuation_id: str, model: str | None = None, provider: str | None = None,
                      tool_name: str | None = None, metadata: dict | None = None, files: list[str] | None = None,
                      create: bool = True, retry_for: float = 60.0) -> AnswerStream:
        """Opens an assistant answer that is kept as it streams: ``with store.stream_answer(cid, model=...) as answer:
        for delta in provider_stream: answer.write(delta)``. Its seq is taken now (``answer.seq``); pieces go in batches;
        leaving the block completes it (``answer.message`` is then the finished message), an exception aborts it. A batch
        is retried for up to ``retry_for`` seconds while the store is unreachable (a restart)."""
        body = _compact({"role": "assistant", "status": "streaming", "model": model, "provider": provider,
                         "tool_name": tool_name, "metadata": metadata, "files": files})
        opened = self._call("POST", f"/sessions/{_quote(continuation_id)}/messages", body=body,
                            query={"create": "true"} if create else None, idempotency_key=str(uuid.uuid4()))
        return AnswerStream(self, continuation_id, opened, retry_for)

    def get_messages(self, continuation_id: str, last: int | None = None, after_seq: int = 0,
                     page_size: int = 1000, chain: bool = False) -> list[dict]:
        """The newest ``last`` messages, or the whole history after ``after_seq``, in ascending seq order; with
        ``chain``, the whole history of the chain it continues (each item with its ``continuation_id``)."""
        path = f"/sessions/{_quote(continuation_id)}/messages"
        if last is not None:
            return self._call("GET", path, query={"last": str(last)})["items"]
        items: list[dict] = []
        extra = {"chain": "true"} if chain else {}
        query = {"after_seq": str(after_seq), "limit": str(page_size), **extra}
        while True:
            page = self._call("GET", path, query=query)
            items.extend(page["items"])
            if not page.get("next_cursor"):
                return items
            query = {"cursor": page["next_cursor"], "limit": str(page_size), **extra}

    def update_message(self, continuation_id: str, seq: int, metadata: dict | None) -> dict:
        """Merge-patch a message's metadata (RFC 7396: null removes a key; ``None`` clears it); answers the message."""
        return self._call("PATCH", f"/sessions/{_quote(continuation_id)}/messages/{int(seq)}", body={"metadata": metadata})

    def redact_message(self, continuation_id: str, seq: int) -> None:
        """Wipe a message's content, metadata, reasoning and files everywhere; it stays as a tombstone (idempotent)."""
        self._call("DELETE", f"/sessions/{_quote(continuation_id)}/messages/{int(seq)}")

    def search(self, q: str, limit: int = 20, cursor: str | None = None, **filters: Any) -> dict:
        """One page of search hits, best first: ``{"items": [...], "next_cursor": ...}``. Filters: continuation_id,
        user_id, role, tool_name, model, from_ (``from``), to, metadata (a dict the message's metadata contains)."""
        if "from_" in filters:
            filters["from"] = filters.pop("from_")
        if isinstance(filters.get("metadata"), dict):
            filters["metadata"] = json.dumps(filters["metadata"])
        query = _compact({"q": q, "limit": str(limit), "cursor": cursor, **filters})
        return self._call("GET", "/messages/search", query=query)

    def list_sessions(self, limit: int = 50, cursor: str | None = None, **filters: Any) -> dict:
        """One page of sessions, most recently updated first. Filters: user_id, metadata (a dict), q (in the title),
        updated_after."""
        if isinstance(filters.get("metadata"), dict):
            filters["metadata"] = json.dumps(filters["metadata"])
        return self._call("GET", "/sessions", query=_compact({"limit": str(limit), "cursor": cursor, **filters}))

    def export_session(self, continuation_id: str, destination: str | None = None, markdown: bool = False) -> bytes | str:
        """The session as JSON lines (or a Markdown transcript); with ``destination``, streamed to that path."""
        return self._call("GET", f"/sessions/{_quote(continuation_id)}/export", download_to=destination,
                          accept="text/markdown" if markdown else "application/x-ndjson")

    def import_session(self, source: str | bytes, continuation_id: str | None = None,
                       idempotency_key: str | None = None) -> dict:
        """Create a session from an export (a path or bytes), all or nothing; answers the new session."""
        return self._call("POST", "/sessions/import", raw=source, content_type="application/x-ndjson",
                          query=_compact({"continuation_id": continuation_id}),
                          idempotency_key=idempotency_key or str(uuid.uuid4()))

    # Files ------------------------------------------------------------------------------------------------
    def upload_file(self, source: str | bytes, filename: str | None = None, content_type: str | None = None,
                    session_id: str | None = None, purpose: str | None = None,
                    idempotency_key: str | None = None) -> dict:
        """Upload a file (a path, streamed from disk, or bytes); answers its metadata."""
        if isinstance(source, (bytes, bytearray)):
            if not filename:
                raise ValueError("filename is required when uploading bytes")
            name = filename
        else:
            name = filename or os.path.basename(source)
        query = _compact({"filename": name, "session_id": session_id, "purpose": purpose})
        ctype = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        return self._call("POST", "/files", raw=source, content_type=ctype, query=query,
                          idempotency_key=idempotency_key or str(uuid.uuid4()))

    def get_file(self, file_id: str) -> dict:
        return self._call("GET", "/files/" + _quote(file_id))

    def download_file(self, file_id: str, destination: str | None = None) -> bytes | str:
        """The file's bytes, or, with ``destination``, the path it was streamed to."""
        return self._call("GET", f"/files/{_quote(file_id)}/content", download_to=destination, accept="*/*")

    def delete_file(self, file_id: str) -> None:
        self._call("DELETE", "/files/" + _quote(file_id))

    def upload_to_provider(self, file_id: str, provider: str) -> dict:
        """Make the file known to a provider's file API (kimi or glm), once; answers the file with its provider ids."""
        return self._call("POST", f"/files/{_quote(file_id)}/providers/{_quote(provider)}")

    def extract_text(self, file_id: str, provider: str) -> str:
        """The provider's extracted text of the file (fetched once by the store, then kept)."""
        return self._call("GET", f"/files/{_quote(file_id)}/providers/{_quote(provider)}/content")["content"]

    # Performance samples ----------------------------------------------------------------------------------
    def record_samples(self, samples: Iterable[dict]) -> int:
        """Send model/tool call timings; answers how many were accepted."""
        return self._call("POST", "/perf/samples", body=list(samples))["accepted"]

    # The change feed --------------------------------------------------------------------------------------
    def events(self, after: int | None = None, types: list[str] | None = None,
               continuation_id: str | None = None) -> EventStream:
        """The tenant's changes as they commit, after the event id ``after`` (default: from now on), optionally of
        some types and one session. Iterate over it; it reconnects by itself after the last id, so nothing is missed
        or repeated; ``close()`` it (or use it in a ``with`` block) to stop."""
        return EventStream(self.base_url, self.api_key, after, types, continuation_id,
                           read_timeout=max(self.timeout, 60.0), backoff=self.backoff)

    # Transport --------------------------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None, raw: str | bytes | None = None,
              content_type: str | None = None, query: dict | None = None, idempotency_key: str | None = None,
              download_to: str | None = None, accept: str = "application/json") -> Any:
        target = self._target.path.rstrip("/") + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"Authorization": f"Bearer {self.api_key}", "Accept": accept}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        attempt = 0
        stale_retried = False
        while True:
            data = None
            if body is not None:
                data = json.dumps(body).encode("utf-8")
                headers["Content-Type"] = "application/json"
            elif raw is not None:
                headers["Content-Type"] = content_type or "application/octet-stream"
                if isinstance(raw, (bytes, bytearray)):
                    data = bytes(raw)
                else:
                    headers["Content-Length"] = str(os.path.getsize(raw))
                    data = open(raw, "rb")  # streamed by http.client in blocks
            reused = getattr(self._local, "connection", None) is not None
            try:
                connection = self._connection()
                connection.request(method, target, body=data, headers=headers)
                response = connection.getresponse()
                if response.status >= 400:
                    payload = response.read()
                    if response.status == 503 and attempt < self.retries:
                        attempt += 1
                        time.sleep(self.backoff * 2 ** (attempt - 1))
                        continue
                    raise from_status(response.status, payload)
                return self._read(response, download_to)
            except (http.client.HTTPException, OSError) as error:
                self._drop_connection()
                if reused and not stale_retried and not isinstance(error, TimeoutError):
                    stale_retried = True  # the server closed a kept-alive connection: once more on a new one, at once
                    continue
                if attempt < self.retries:
                    attempt += 1
                    time.sleep(self.backoff * 2 ** (attempt - 1))
                    continue
                raise ConnectionError(f"exai-store at {self.base_url} is unreachable: {error}") from error
            finally:
                if hasattr(data, "close"):
                    data.close()

    def _connection(self) -> http.client.HTTPConnection:
        """This thread's keep-alive connection, opened on first use and after a failure."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._target.scheme == "https" else http.client.HTTPConnection
            connection = kind(self._target.hostname, self._target.port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    @staticmethod
    def _read(response, download_to: str | None) -> Any:
        if download_to:
            with open(download_to, "wb") as out:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
            return download_to
        payload = response.read()
        if response.status == 204 or not payload:
            return None
        if response.headers.get_content_type() == "application/json":
            return json.loads(payload)
        return payload


def _compact(values: dict) -> dict:
    return {k: v for k, v in values.items() if v is not None}


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")
