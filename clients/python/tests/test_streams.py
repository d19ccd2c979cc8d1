"""Tests of streamed answers against a running exai-store (EXAI_STORE_URL, EXAI_STORE_API_KEY), fed by a fake provider
stream that yields what Kimi's and GLM's OpenAI-compatible streams carry: chunks whose delta holds reasoning_content
(thinking models) or content."""
import asyncio
import os
import socket
import threading
import time
import unittest
import urllib.parse
import uuid

from exai_store import AsyncExaiStore, ExaiStore


def provider_stream(thinking=40, answer=260, pause_every=50):
    """A chat.completion.chunk stream: thinking first, then the answer; it pauses now and then, as a model does."""
    for i in range(thinking):
        yield {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"reasoning_content": f"t{i} "},
                                                               "finish_reason": None}]}
    for i in range(answer):
        if i and i % pause_every == 0:
            time.sleep(0.08)
        yield {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": f"w{i} "}, "finish_reason": None}]}
    yield {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
           "usage": {"prompt_tokens": 12, "completion_tokens": answer}}


def deltas(stream):
    """(content, reasoning, chunk) for each chunk of the fake stream, as EXAI reads them."""
    for chunk in stream:
        delta = chunk["choices"][0]["delta"]
        yield delta.get("content", ""), delta.get("reasoning_content"), chunk


class CountingStore(ExaiStore):
    """The real client, counting the piece batches it posts."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.batches = []

    def _call(self, method, path, body=None, **kwargs):
        if path.endswith("/chunks"):
            self.batches.append(len(body))
        return super()._call(method, path, body=body, **kwargs)


class DroppingProxy:
    """A TCP proxy to the store that can go away (connections refused, open ones cut) and come back on the same port."""

    def __init__(self, target):
        self.target = (target.hostname, target.port)
        self.port = None
        self.open = []
        self.listener = None
        self.up()

    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def up(self):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port or 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone would not
        except OSError:
            pass
        self.listener.close()
        for s in self.open:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()
        self.open.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            self.open += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass


class StreamsTest(unittest.TestCase):

    def setUp(self):
        self.store = CountingStore(retries=2, backoff=0.05)
        self.cid = "py-stream-" + uuid.uuid4().hex
        self.store.add_message(self.cid, "user", "explain the config")

    def test_an_answer_is_kept_as_it_streams_in_batches_and_completed_on_exit(self):
        seen_while_streaming = []
        with self.store.stream_answer(self.cid, model="kimi-k2-thinking", provider="kimi") as answer:
            self.assertEqual(answer.seq, 2)
            self.store.add_message(self.cid, "user", "a message sent meanwhile")  # takes seq 3: answers order by start
            for n, (content, reasoning, chunk) in enumerate(deltas(provider_stream())):
                if chunk["choices"][0]["finish_reason"]:
                    usage = chunk["usage"]
                    answer.finish(usage={"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"]},
                                  finish_reason="stop")
                    continue
                answer.write(content, reasoning)
                if n == 150:
                    answer.flush()
                    seen_while_streaming.append(self.store.get_messages(self.cid)[1])
        message = answer.message
        self.assertEqual(message["status"], "complete")
        self.assertEqual(message["content"], "".join(f"w{i} " for i in range(260)))
        self.assertEqual(message["reasoning"], "".join(f"t{i} " for i in range(40)))
        self.assertEqual(message["usage"], {"input_tokens": 12, "output_tokens": 260})
        self.assertEqual(message["chunks_received"], 300)
        mid = seen_while_streaming[0]
        self.assertEqual(mid["status"], "streaming")
        self.assertTrue(mid["content"].startswith("w0 w1 ") and len(mid["content"]) < len(message["content"]))
        self.assertEqual([m["seq"] for m in self.store.get_messages(self.cid)], [1, 2, 3])
        # batched: far fewer requests than pieces, none over 64 unless the sender fell behind
        self.assertEqual(sum(self.store.batches), 300)
        self.assertLess(len(self.store.batches), 60)
        self.assertGreater(len(self.store.batches), 4)

    def test_an_error_in_the_provider_stream_aborts_the_answer_with_what_it_had(self):
        def broken():
            yield from provider_stream(thinking=0, answer=30)
            raise TimeoutError("the provider stopped answering")

        with self.assertRaises(TimeoutError):
            with self.store.stream_answer(self.cid, model="glm-4.6") as answer:
                for content, reasoning, chunk in deltas(broken()):
                    if not chunk["choices"][0]["finish_reason"]:
                        answer.write(content, reasoning)
        stored = self.store.get_messages(self.cid)[1]
        self.assertEqual(stored["status"], "incomplete")
        self.assertEqual(stored["finish_reason"], "aborted")
        self.assertEqual(stored["content"], "".join(f"w{i} " for i in range(30)))

    def test_a_batch_sent_twice_is_stored_once(self):
        with self.store.stream_answer(self.cid) as answer:
            answer.write("only once")
            answer.flush()
            again = self.store._call("POST", f"/sessions/{self.cid}/messages/{answer.seq}/chunks",
                                     body=[{"index": 0, "content": "only once"}])
            self.assertEqual((again["stored"], again["chunks_received"]), (0, 1))
        self.assertEqual(answer.message["content"], "only once")

    def test_an_answer_outlives_the_store_going_away_for_longer_than_the_clients_own_retries(self):
        proxy = DroppingProxy(urllib.parse.urlparse(os.environ["EXAI_STORE_URL"]))
        store = ExaiStore(base_url=proxy.url(), retries=1, backoff=0.05)
        try:
            with store.stream_answer(self.cid, model="glm-4.6") as answer:
                for i in range(100):
                    answer.write(f"before{i} ")
                answer.flush()
                proxy.down()  # a restart: refused, then back
                for i in range(100):
                    answer.write(f"during{i} ")
                time.sleep(1.5)
                proxy.up()
                for i in range(100):
                    answer.write(f"after{i} ")
        finally:
            proxy.down()
        expected = "".join(f"before{i} " for i in range(100)) + "".join(f"during{i} " for i in range(100)) \
            + "".join(f"after{i} " for i in range(100))
        self.assertEqual(answer.message["status"], "complete")
        self.assertEqual(answer.message["content"], expected)
        self.assertEqual(answer.message["chunks_received"], 300)

    def test_the_async_twin_streams_on_the_same_terms(self):
        async def run():
            store = AsyncExaiStore(retries=2, backoff=0.05)
            async with store.stream_answer(self.cid, model="kimi-k2") as answer:
                for content, reasoning, chunk in deltas(provider_stream(thinking=5, answer=100)):
                    if not chunk["choices"][0]["finish_reason"]:
                        await answer.write(content, reasoning)
                        await asyncio.sleep(0)
            return answer.message

        message = asyncio.run(run())
        self.assertEqual(message["status"], "complete")
        self.assertEqual(message["content"], "".join(f"w{i} " for i in range(100)))
        self.assertFalse(any(t.name.startswith("exai-store-answer-") and t.is_alive() for t in threading.enumerate()))


if __name__ == "__main__":
    unittest.main()
