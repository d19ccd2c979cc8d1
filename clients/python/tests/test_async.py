"""Tests of the asyncio client against a running exai-store (EXAI_STORE_URL, EXAI_STORE_API_KEY)."""
import asyncio
import threading
import unittest
import uuid

from exai_store import AsyncExaiStore, NotFound


class AsyncClientTest(unittest.IsolatedAsyncioTestCase):

    def setUp(self):
        self.store = AsyncExaiStore(retries=2, backoff=0.05)
        self.cid = "py-async-" + uuid.uuid4().hex

    async def test_conversation_and_file(self):
        await self.store.create_session(self.cid, user_id="alice")
        first = await self.store.add_message(self.cid, "user", "What is 2 + 2?")
        both = await self.store.add_messages(self.cid, [{"role": "assistant", "content": "4"},
                                                        {"role": "user", "content": "Thanks"}])
        self.assertEqual([first["seq"]] + [m["seq"] for m in both], [1, 2, 3])
        self.assertEqual([m["content"] for m in await self.store.get_messages(self.cid, last=2)], ["4", "Thanks"])
        meta = await self.store.upload_file(b"async bytes", filename="a.txt", session_id=self.cid)
        self.assertEqual(await self.store.download_file(meta["id"]), b"async bytes")
        self.assertEqual(await self.store.record_samples([{"tool": "chat", "latency_ms": 12}]), 1)
        await self.store.delete_session(self.cid)
        with self.assertRaises(NotFound):
            await self.store.get_session(self.cid)

    async def test_two_calls_are_in_flight_at_once_and_the_loop_keeps_running(self):
        await self.store.create_session(self.cid)
        # Each call waits, inside its HTTP call, until the other one has started too: if the client ran calls one
        # after the other, or blocked the event loop, the barrier would time out and the calls would fail.
        both_started = threading.Barrier(2, timeout=10)
        send = self.store.sync._call

        def call_once_both_are_in_flight(*args, **kwargs):
            both_started.wait()
            return send(*args, **kwargs)

        self.store.sync._call = call_once_both_are_in_flight
        ticks = 0

        async def heartbeat():
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        beating = asyncio.create_task(heartbeat())
        try:
            session, appended = await asyncio.gather(self.store.get_session(self.cid),
                                                     self.store.add_message(self.cid, "user", "concurrent"))
        finally:
            beating.cancel()
            self.store.sync._call = send
        self.assertEqual(session["continuation_id"], self.cid)
        self.assertEqual(appended["seq"], 1)
        self.assertGreater(ticks, 1, "the event loop did not run while the calls were in flight")


if __name__ == "__main__":
    unittest.main()
