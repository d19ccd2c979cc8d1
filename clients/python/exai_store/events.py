"""The change feed (``GET /events``) as an iterator that never misses an event.

The stream is Server-Sent Events. The iterator remembers the id of the last event it handed out (or the place the
server said the stream starts at) and, whenever the connection ends (a network error, a restart or another replica
behind a load balancer, the server closing a reader that fell behind), reconnects after that id, so what it yields
has no gap and no duplicate. A 429 (too many streams) or 503 waits as the answer says and tries again; other errors
raise ``ExaiStoreError``.
"""
from __future__ import annotations

import http.client
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Iterator

from ._errors import from_http_error


@dataclass(frozen=True)
class Event:
    """One change: its feed id (ids grow in commit order), its type and its data (``type``, ``at`` and the type's fields)."""
    id: int
    type: str
    data: dict[str, Any]


class EventStream:
    """Iterates over the tenant's events; ``close()`` (or leaving a ``with`` block) stops it, from any thread."""

    def __init__(self, base_url: str, api_key: str, after: int | None, types: list[str] | None,
                 continuation_id: str | None, read_timeout: float, backoff: float):
        self.last_id = after
        self._base_url = base_url
        self._api_key = api_key
        self._filters = {"types": ",".join(types) if types else None, "continuation_id": continuation_id}
        self._read_timeout = read_timeout
        self._backoff = backoff
        self._response = None
        self._closed = threading.Event()
        # Connect now, so that "from now on" is now and a refused request raises here; the first frame is the start.
        try:
            self._response = self._connect()
            self._block(self._response)
        except urllib.error.HTTPError as error:
            if error.code not in (429, 503):
                raise from_http_error(error) from None
        except (urllib.error.URLError, http.client.HTTPException, OSError):
            self._response = None  # the iteration tries again
        self._events = self._run()

    def __iter__(self) -> Iterator[Event]:
        return self

    def __next__(self) -> Event:
        return next(self._events)

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self._closed.set()
        response = self._response
        if response is not None:
            try:
                response.fp.raw._sock.shutdown(2)  # wakes a thread blocked reading; close() alone may not
            except (AttributeError, OSError):
                pass

    def _connect(self):
        query = {k: v for k, v in {"after": None if self.last_id is None else str(self.last_id), **self._filters}.items()
                 if v is not None}
        url = self._base_url + "/events" + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {self._api_key}",
                                                       "Accept": "text/event-stream"})
        return urllib.request.urlopen(request, timeout=self._read_timeout)

    def _run(self) -> Iterator[Event]:
        failures = 0
        while not self._closed.is_set():
            try:
                response = self._response or self._connect()
                self._response = response
                with response:
                    failures = 0
                    while (block := self._block(response)) is not None:
                        if block:
                            yield block
            except urllib.error.HTTPError as error:
                if error.code not in (429, 503):
                    raise from_http_error(error) from None
                failures += 1
                self._wait(float(error.headers.get("Retry-After") or self._backoff * 2 ** min(failures, 6)))
            except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
                if self._closed.is_set():
                    return
                failures += 1
                self._wait(self._backoff * 2 ** min(failures, 6))  # the server is away: try again, after the last id
            finally:
                self._response = None

    def _block(self, response) -> Event | bool | None:
        """Reads one frame up to its blank line: its event, or False for a frame without data (a comment, or the
        stream's start id, which moves ``last_id``), or None when the stream ended."""
        fields: dict[str, str] = {}
        data: list[str] = []
        for raw in response:
            line = raw.decode("utf-8").rstrip("\r\n")
            if line == "":
                if "id" in fields:
                    self.last_id = int(fields["id"])
                if not data:
                    return False
                return Event(self.last_id, fields.get("event", "message"), json.loads("\n".join(data)))
            if not line.startswith(":"):
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    data.append(value)
                else:
                    fields[name] = value
        return None

    def _wait(self, seconds: float) -> None:
        self._closed.wait(min(seconds, 30.0))
