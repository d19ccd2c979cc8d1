"""Tests of the change feed's iterators against a running exai-store (EXAI_STORE_URL, EXAI_STORE_API_KEY)."""
import asyncio
import queue
import threading
import unittest
import uuid

from exai_store import AsyncExaiStore, BadRequest, ExaiStore


def take(stream, count, timeout=15.0):
    """The next ``count`` events of a stream, read on a thread so that a missing event fails the test, not hangs it."""
    got = queue.Queue()

    def read():
        for n, event in enumerate(stream, 1):
            got.put(event)
            if n == count:
                return

    threading.Thread(target=read, daemon=True).start()
    events = []
    for _ in range(count):
        events.append(got.get(timeout=timeout))
    return events


class EventsTest(unittest.TestCase):

    def setUp(self):
        self.store = ExaiStore(retries=2, backoff=0.05)
        self.cid = "py-events-" + uuid.uuid4().hex

    def test_changes_arrive_in_commit_order_with_their_fields(self):
        with self.store.events(continuation_id=self.cid) as stream:
            self.assertIsNotNone(stream.last_id)  # connected: it said where it starts
            self.store.create_session(self.cid)
            self.store.add_messages(self.cid, [{"role": "user", "content": "secret question", "model": "glm-4.6"},
                                               {"role": "assistant", "content": "secret answer", "tool_name": "chat"}])
            created, first, second = take(stream, 3)
        self.assertEqual([e.type for e in (created, first, second)], ["session.created", "message.appended", "message.appended"])
        self.assertEqual((first.data["seq"], first.data["role"], first.data["model"]), (1, "user", "glm-4.6"))
        self.assertEqual((second.data["seq"], second.data["tool_name"]), (2, "chat"))
        self.assertTrue(created.id < first.id < second.id)
        self.assertNotIn("content", first.data)
        self.assertEqual(first.data["continuation_id"], self.cid)

    def test_a_dropped_connection_resumes_after_the_last_id_with_no_gap_and_no_duplicate(self):
        self.store.create_session(self.cid)
        with self.store.events(continuation_id=self.cid, types=["message.appended"]) as stream:
            for i in range(3):
                self.store.add_message(self.cid, "user", f"before {i}")
            before = take(stream, 3)
            stream._response.fp.raw._sock.shutdown(2)  # the network drops the stream
            for i in range(3):
                self.store.add_message(self.cid, "user", f"after {i}")
            after = take(stream, 3)
        seqs = [e.data["seq"] for e in before + after]
        self.assertEqual(seqs, [1, 2, 3, 4, 5, 6])
        ids = [e.id for e in before + after]
        self.assertEqual(ids, sorted(set(ids)))

    def test_after_gives_exactly_the_events_after_an_id(self):
        with self.store.events(continuation_id=self.cid) as stream:
            self.store.create_session(self.cid)
            for i in range(4):
                self.store.add_message(self.cid, "user", f"m{i}")
            everything = take(stream, 5)
        with self.store.events(after=everything[2].id, continuation_id=self.cid) as again:
            self.assertEqual([e.id for e in take(again, 2)], [e.id for e in everything[3:]])

    def test_a_bad_filter_raises_the_problem(self):
        with self.assertRaises(BadRequest) as refused:
            next(iter(self.store.events(types=["session.exploded"])))
        self.assertIn("unknown event type", refused.exception.detail)


class AsyncEventsTest(unittest.IsolatedAsyncioTestCase):

    async def test_the_async_iterator_yields_changes_and_closes_when_left(self):
        store = AsyncExaiStore(retries=2, backoff=0.05)
        cid = "py-async-events-" + uuid.uuid4().hex
        await store.create_session(cid)  # before the stream: not in it
        seen = []

        async def follow():
            async for event in store.events(continuation_id=cid):
                seen.append(event)
                if len(seen) == 2:
                    return

        following = asyncio.create_task(follow())
        await asyncio.sleep(1)  # the stream is open (it starts at the newest event)
        await store.add_message(cid, "user", "one")
        await store.update_session(cid, title="live")
        await asyncio.wait_for(following, 15)
        self.assertEqual([e.type for e in seen], ["message.appended", "session.updated"])
        self.assertEqual(seen[0].data["seq"], 1)


if __name__ == "__main__":
    unittest.main()
