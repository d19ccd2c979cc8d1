"""ExaiStoreStorage against a running exai-store, with thread documents of the shape PAL's conversation memory writes."""
import json
import os
import unittest
import uuid

from exai_store import ExaiStore
from exai_store.pal import ExaiStoreStorage


def thread_document(thread_id, turns, parent=None):
    """A ThreadContext as pydantic's model_dump_json writes it (compact, fields in declaration order)."""
    return json.dumps({
        "thread_id": thread_id, "parent_thread_id": parent, "created_at": "2026-11-30T10:00:00.000001+00:00",
        "last_updated_at": f"2026-11-30T10:0{len(turns)}:00.000001+00:00", "tool_name": "chat", "turns": turns,
        "initial_context": {"prompt": "Review this", "files": ["/workspace/app.py"], "use_websearch": True},
        "session_fingerprint": None, "client_friendly_name": "Claude"}, separators=(",", ":"), ensure_ascii=False)


def turn(index, role="user", files=None, model=None):
    return {"role": role, "content": f"turn {index} 内容", "timestamp": f"2026-11-30T10:0{index}:00+00:00",
            "files": files, "images": None, "tool_name": "chat" if role == "assistant" else None,
            "model_provider": "moonshot" if model else None, "model_name": model,
            "model_metadata": {"usage": {"input_tokens": 10 * index}} if model else None}


class PalStorageTest(unittest.TestCase):

    def setUp(self):
        self.store = ExaiStore(retries=2, backoff=0.05)
        self.storage = ExaiStoreStorage(self.store)

    def test_a_thread_written_again_and_again_appends_each_turn_once_and_reads_back_the_same(self):
        thread_id = str(uuid.uuid4())
        key = f"thread:{thread_id}"
        self.assertIsNone(self.storage.get(key))
        turns = []
        for index in range(1, 5):
            turns.append(turn(index, "user" if index % 2 else "assistant", files=["/workspace/app.py"],
                              model=None if index % 2 else "kimi-k2-0905"))
            document = thread_document(thread_id, list(turns))
            self.storage.setex(key, 10800, document)
            self.assertEqual(self.storage.get(key), document)
        messages = self.store.get_messages(thread_id)
        self.assertEqual([m["seq"] for m in messages], [1, 2, 3, 4])
        self.assertEqual(messages[1]["model"], "kimi-k2-0905")
        self.assertEqual(messages[1]["tool_name"], "chat")
        self.storage.set_with_ttl(key, 10800, document)  # nothing new: nothing appended
        self.assertEqual(self.store.get_session(thread_id)["message_count"], 4)
        self.assertTrue(self.store.get_session(thread_id)["ttl_sliding"])

    def test_a_continuation_thread_links_to_its_parent(self):
        parent, child = str(uuid.uuid4()), str(uuid.uuid4())
        self.storage.setex(f"thread:{parent}", 3600, thread_document(parent, [turn(1), turn(2, "assistant", model="glm-4.6")]))
        document = thread_document(child, [turn(1)], parent=parent)
        self.storage.setex(f"thread:{child}", 3600, document)
        self.assertEqual(self.storage.get(f"thread:{child}"), document)
        self.assertEqual(self.store.get_session(child)["parent_continuation_id"], parent)
        self.assertEqual(len(self.store.context(child, 10000)["messages"]), 3)

    def test_the_context_of_a_long_thread_is_its_newest_turns_and_a_summary_for_the_rest(self):
        thread_id = str(uuid.uuid4())
        key = f"thread:{thread_id}"
        turns = [turn(index, "user" if index % 2 else "assistant") for index in range(1, 9)]
        self.storage.setex(key, 3600, thread_document(thread_id, turns))
        counts = [m["token_count"] for m in self.store.get_messages(thread_id)]
        budget = sum(counts[5:])  # exactly the newest three turns
        summary = self.store.add_summary(thread_id, 6, "They reviewed app.py over six turns.", token_count=counts[5])
        whole = json.loads(self.storage.get(key))
        plain = json.loads(self.storage.get_context(key, budget))
        self.assertEqual(plain["turns"], whole["turns"][5:])
        self.assertNotIn("summary", plain)
        self.assertEqual({k: v for k, v in plain.items() if k != "turns"}, {k: v for k, v in whole.items() if k != "turns"})
        # with summaries: the summary of turns 1..6 and turns 7 and 8
        summarized = json.loads(self.storage.get_context(key, budget, summaries=True))
        self.assertEqual(summarized["turns"], whole["turns"][6:])
        self.assertEqual(summarized["summary"]["id"], summary["id"])
        self.assertEqual(summarized["summary"]["content"], "They reviewed app.py over six turns.")
        self.assertIsNone(json.loads(self.storage.get_context(key, sum(counts), summaries=True))["summary"])
        self.assertIsNone(self.storage.get_context(f"thread:{uuid.uuid4()}", 1000, summaries=True))

    def test_other_keys_are_refused(self):
        with self.assertRaises(ValueError):
            self.storage.get("cache:something")


@unittest.skipUnless(os.environ.get("EXAI_STORE_PAL_PHASE"), "run by PythonClientIT around a restart of the service")
class PalRestartTest(unittest.TestCase):
    """Phase 'write' stores a thread; the service restarts; phase 'read' finds the same document."""

    def test_the_thread_survives_a_restart(self):
        storage = ExaiStoreStorage(ExaiStore(retries=6, backoff=0.2))
        thread_id = os.environ["EXAI_STORE_PAL_THREAD"]
        document = thread_document(thread_id, [turn(1), turn(2, "assistant", files=["/a.py"], model="glm-4.6")])
        if os.environ["EXAI_STORE_PAL_PHASE"] == "write":
            storage.setex(f"thread:{thread_id}", 10800, document)
        self.assertEqual(storage.get(f"thread:{thread_id}"), document)


if __name__ == "__main__":
    unittest.main()
