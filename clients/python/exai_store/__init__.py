"""Client for exai-store, EXAI's persistence sidecar: sessions and messages, files, performance samples,
the change feed.

``ExaiStore`` is the blocking client, ``AsyncExaiStore`` the asyncio one; both use only the standard library.
"""
from ._errors import (BadRequest, Conflict, ExaiStoreError, NotFound, ProviderFailed, TooLarge, Unauthorized,
                      Unavailable, Unprocessable)
from .aio import AsyncExaiStore
from .client import ExaiStore
from .events import Event, EventStream
from .streams import AnswerStream, AsyncAnswerStream

__version__ = "0.4.0"

__all__ = ["ExaiStore", "AsyncExaiStore", "AnswerStream", "AsyncAnswerStream", "Event", "EventStream", "ExaiStoreError", "BadRequest", "Unauthorized", "NotFound", "Conflict",
           "TooLarge", "Unprocessable", "ProviderFailed", "Unavailable", "__version__"]
