"""supabase-py 2.31.0 against exai-store's Supabase door: EXAI's storage module and the seed's service, unchanged,
then the same data read back through exai-store's native API, and native writes read through the door.
Needs SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and SUPABASE_KEY (the tenant's exai-store key)."""
import json
import os
import unittest
import urllib.request
import uuid

from postgrest.exceptions import APIError

from exai_storage import SupabaseStorageManager
from seed_service import SupabaseService

BASE = os.environ["SUPABASE_URL"]
KEY = os.environ["SUPABASE_KEY"]


def native(method, path, body=None):
    request = urllib.request.Request(BASE + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": "Bearer " + KEY, "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read() or b"null")


class ExaiStorageModuleTest(unittest.TestCase):
    def test_conversations_and_idempotent_messages_on_the_same_data_as_the_native_api(self):
        storage = SupabaseStorageManager()
        self.assertTrue(storage.enabled)
        cid = str(uuid.uuid4())
        conversation = storage.get_or_create_conversation(cid, metadata={"tool": "chat"})
        self.assertIsNotNone(conversation)
        self.assertEqual(storage.get_or_create_conversation(cid), conversation)
        # save_conversation of an existing id: PostgREST's 409, which the module turns into None
        self.assertIsNone(storage.save_conversation(cid))
        first = storage.save_message(conversation, "user", "What is 2 + 2?", timestamp="2026-11-26T10:00:00.000001")
        self.assertIsNotNone(first)
        # the same message again (same timestamp, so the same key): stored once, the module reads [] as "already there"
        self.assertIsNone(storage.save_message(conversation, "user", "What is 2 + 2?", timestamp="2026-11-26T10:00:00.000001"))
        self.assertIsNotNone(storage.save_message(conversation, "assistant", "4", timestamp="2026-11-26T10:00:01"))
        history = storage.get_conversation_messages(conversation)
        self.assertEqual([m["content"] for m in history], ["What is 2 + 2?", "4"])
        self.assertEqual(history[0]["created_at"], "2026-11-26T10:00:00.000001+00:00")
        self.assertEqual(len(storage.get_conversation_messages(conversation, limit=1)), 1)
        # the native API: the session, its history in order, and the context a model call would get
        session = native("GET", "/sessions/" + cid)
        self.assertEqual(session["message_count"], 2)
        self.assertEqual(session["metadata"], {"tool": "chat"})
        items = native("GET", "/sessions/%s/messages" % cid)["items"]
        self.assertEqual([(m["seq"], m["role"], m["content"]) for m in items], [(1, "user", "What is 2 + 2?"), (2, "assistant", "4")])
        context = native("GET", "/sessions/%s/context?max_tokens=1000" % cid)
        self.assertEqual(len(context["messages"]), 2)
        # a native append is a message row through the door
        native("POST", "/sessions/%s/messages" % cid, {"role": "user", "content": "And 3 + 3?"})
        self.assertEqual([m["content"] for m in storage.get_conversation_messages(conversation)][-1], "And 3 + 3?")

    def test_provider_upload_records_are_kept_once_per_provider_file(self):
        storage = SupabaseStorageManager()
        provider_file_id = "file-" + str(uuid.uuid4())
        first = storage.save_provider_file_upload("kimi", provider_file_id, metadata={"sha256": "ab" * 32})
        self.assertIsNotNone(first)
        # the same record again: PostgREST's duplicate key error, which the module answers with the stored row's id
        self.assertEqual(storage.save_provider_file_upload("kimi", provider_file_id), first)
        before = storage.get_provider_file_by_id("kimi", provider_file_id)
        self.assertEqual(before["metadata"], {"sha256": "ab" * 32})
        self.assertTrue(storage.update_provider_file_last_used("kimi", provider_file_id))
        self.assertFalse(storage.update_provider_file_last_used("glm", provider_file_id))
        self.assertIn(first, [r["id"] for r in storage.get_provider_files_by_purpose("kimi", "file-extract")])
        self.assertEqual(storage.get_provider_files_by_purpose("glm", "file-extract"), [])

    def test_a_missing_table_is_pgrst205_which_the_module_survives(self):
        storage = SupabaseStorageManager()
        with self.assertRaises(APIError) as raised:
            storage.client.table("file_embeddings").select("*").execute()
        self.assertEqual(raised.exception.code, "PGRST205")


class SeedServiceTest(unittest.TestCase):
    def test_sessions_and_messages_of_the_seed(self):
        service = SupabaseService()
        cid = "seed-" + str(uuid.uuid4())
        session = service.create_session(cid)
        self.assertEqual(service.get_session(cid)["id"], session["id"])
        self.assertIsNone(service.get_session("seed-missing-" + str(uuid.uuid4())))
        service.add_message(session["id"], "user", "hello from the seed")
        service.add_message(session["id"], "assistant", "hello back")
        messages = service.get_messages(session["id"])
        self.assertEqual([m["role"] for m in messages], ["user", "assistant"])
        self.assertEqual(set(messages[0]), {"id", "session_id", "role", "content", "created_at", "metadata"})
        self.assertEqual(native("GET", "/sessions/" + cid)["message_count"], 2)
        # a second create of the same id raises, as the seed's callers see it
        with self.assertRaises(APIError) as raised:
            service.create_session(cid)
        self.assertEqual(raised.exception.code, "23505")
        with self.assertRaises(APIError) as raised:
            service.add_message(str(uuid.uuid4()), "user", "to nowhere")
        self.assertEqual(raised.exception.code, "23503")


if __name__ == "__main__":
    unittest.main()
