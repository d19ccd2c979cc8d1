"""Tests of the Python client against a running exai-store (EXAI_STORE_URL, EXAI_STORE_API_KEY)."""
import hashlib
import os
import tempfile
import unittest
import uuid

import exai_store
from exai_store import ExaiStore, NotFound, ProviderFailed, TooLarge, Unauthorized


class ClientTest(unittest.TestCase):

    def setUp(self):
        self.store = ExaiStore(retries=2, backoff=0.05)
        self.cid = "py-" + uuid.uuid4().hex

    def test_full_conversation(self):
        session = self.store.create_session(self.cid, user_id="alice", title="Sums", metadata={"model": "glm-4.6"})
        self.assertEqual(session["continuation_id"], self.cid)
        self.assertEqual(self.store.create_session(self.cid, title="ignored")["title"], "Sums")
        first = self.store.add_message(self.cid, "user", "What is 2 + 2?")
        second = self.store.add_messages(self.cid, [{"role": "assistant", "content": "4"}, {"role": "user", "content": "Thanks"}])
        self.assertEqual([first["seq"]] + [m["seq"] for m in second], [1, 2, 3])
        self.assertEqual([m["content"] for m in self.store.get_messages(self.cid)], ["What is 2 + 2?", "4", "Thanks"])
        self.assertEqual([m["seq"] for m in self.store.get_messages(self.cid, last=2)], [2, 3])
        self.assertEqual(self.store.get_session(self.cid)["message_count"], 3)

    def test_a_summary_stands_in_for_old_turns_until_one_of_them_is_redacted(self):
        self.store.add_messages(self.cid, [{"role": "user", "content": f"turn {i}", "token_count": 10} for i in range(1, 21)])
        summary = self.store.add_summary(self.cid, 18, "Eighteen turns about nothing.", token_count=15)
        context = self.store.context(self.cid, max_tokens=40, summaries=True)
        self.assertEqual(context["summary"]["id"], summary["id"])
        self.assertEqual([m["seq"] for m in context["messages"]], [19, 20])
        self.assertEqual(context["totals"]["tokens"], 35)
        self.assertNotIn("summary", self.store.context(self.cid, max_tokens=40))
        self.store.redact_message(self.cid, 3)
        self.assertTrue(self.store.get_summary(self.cid, summary["id"])["stale"])
        self.assertIsNone(self.store.context(self.cid, max_tokens=40, summaries=True)["summary"])
        self.assertEqual([s["id"] for s in self.store.list_summaries(self.cid)["items"]], [summary["id"]])
        self.store.delete_summary(self.cid, summary["id"])
        with self.assertRaises(NotFound):
            self.store.get_summary(self.cid, summary["id"])
        # the store asked to write one with a provider it has no key for: 502, nothing stored
        with self.assertRaises(ProviderFailed):
            self.store.summarize(self.cid, 20, "glm", "glm-4.6")
        self.assertEqual(self.store.list_summaries(self.cid)["items"], [])

    def test_context_fork_and_turn_attribution(self):
        self.store.create_session(self.cid)
        self.store.add_message(self.cid, "user", "What is in the report?", token_count=50)
        answer = self.store.add_message(self.cid, "assistant", "Three risks.", token_count=20, tool_name="chat",
                                        model="kimi-k2-0905", provider="moonshot",
                                        usage={"input_tokens": 812, "output_tokens": 20}, reasoning="Read it first.")
        self.assertEqual((answer["tool_name"], answer["model"], answer["usage"]["input_tokens"]), ("chat", "kimi-k2-0905", 812))
        context = self.store.context(self.cid, max_tokens=60)
        self.assertEqual([m["content"] for m in context["messages"]], ["Three risks."])
        self.assertEqual((context["omitted_messages"], context["totals"]["tokens"]), (1, 20))
        self.assertIsNone(context["messages"][0]["reasoning"])
        branch = self.store.fork(self.cid, at_seq=1)
        self.store.add_message(branch["continuation_id"], "assistant", "Let me look again.", token_count=5)
        self.assertEqual([m["content"] for m in self.store.get_messages(branch["continuation_id"], chain=True)],
                         ["What is in the report?", "Let me look again."])
        self.store.delete_session(self.cid, cascade=True)

    def test_retried_append_is_stored_once(self):
        key = str(uuid.uuid4())
        first = self.store.add_message(self.cid, "user", "only once", idempotency_key=key)
        again = self.store.add_message(self.cid, "user", "only once", idempotency_key=key)
        self.assertEqual(first, again)
        self.assertEqual(len(self.store.get_messages(self.cid)), 1)

    def test_file_round_trip(self):
        data = os.urandom(300_000)
        with tempfile.NamedTemporaryFile(suffix=".bin", delete=False) as handle:
            handle.write(data)
        try:
            meta = self.store.upload_file(handle.name, session_id=self.cid, purpose="assistants")
            self.assertEqual(meta["sha256"], hashlib.sha256(data).hexdigest())
            self.assertEqual(self.store.download_file(meta["id"]), data)
            target = handle.name + ".down"
            self.store.download_file(meta["id"], target)
            with open(target, "rb") as back:
                self.assertEqual(back.read(), data)
            os.remove(target)
            self.store.delete_file(meta["id"])
            with self.assertRaises(NotFound):
                self.store.get_file(meta["id"])
        finally:
            os.remove(handle.name)

    def test_search_redact_export_and_import(self):
        word = "pangolin" + uuid.uuid4().hex[:8]
        self.store.add_messages(self.cid, [{"role": "user", "content": f"{word} 数据库连接失败", "metadata": {"t": 1}},
                                           {"role": "assistant", "content": "rotate the key", "tool_name": "chat"}])
        hits = self.store.search("数据库", continuation_id=self.cid)["items"]
        self.assertEqual([h["seq"] for h in hits], [1])
        self.assertIn("<mark>数据库</mark>", hits[0]["snippet"])
        self.assertEqual(self.store.search(word, metadata={"t": 1})["items"][0]["continuation_id"], self.cid)
        self.assertEqual(self.store.update_message(self.cid, 2, {"reviewed": True})["metadata"], {"reviewed": True})
        exported = self.store.export_session(self.cid)
        copy = self.store.import_session(exported, continuation_id=self.cid + "-copy")
        self.assertEqual(copy["message_count"], 2)
        self.store.redact_message(self.cid, 1)
        self.store.redact_message(self.cid, 1)
        self.assertEqual(self.store.search(word, continuation_id=self.cid)["items"], [])
        self.assertEqual(self.store.get_messages(self.cid)[0]["redacted"], True)
        self.assertEqual(len(self.store.search(word, continuation_id=self.cid + "-copy")["items"]), 1)
        self.assertIn(b"_redacted_", self.store.export_session(self.cid, markdown=True))
        listed = self.store.list_sessions(q=None, updated_after="2000-01-01T00:00:00Z", limit=200)["items"]
        self.assertIn(self.cid, [s["continuation_id"] for s in listed])

    def test_the_installed_package_is_the_one_under_test(self):
        self.assertRegex(exai_store.__version__, r"^\d+\.\d+\.\d+$")
        expected = os.environ.get("EXAI_STORE_EXPECT_INSTALLED_IN")
        if expected:
            self.assertTrue(os.path.realpath(exai_store.__file__).startswith(os.path.realpath(expected)), exai_store.__file__)

    def test_typed_errors_carry_problem_details(self):
        with self.assertRaises(NotFound) as missing:
            self.store.get_session("py-missing-" + uuid.uuid4().hex)
        self.assertEqual(missing.exception.status, 404)
        self.assertIn("does not exist", missing.exception.detail)
        with self.assertRaises(TooLarge) as large:
            self.store.add_message(self.cid, "user", "x" * (1024 * 1024 + 1))
        self.assertEqual(large.exception.problem["status"], 413)
        with self.assertRaises(Unauthorized):
            ExaiStore(api_key="wrong-key-123", retries=0).get_session(self.cid)


if __name__ == "__main__":
    unittest.main()
