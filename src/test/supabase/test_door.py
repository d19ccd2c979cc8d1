"""supabase-py 2.31.0 against exai-store's Supabase door: EXAI's storage module and the seed's service, unchanged,
then the same data read back through exai-store's native API, and native writes read through the door.
Needs SUPABASE_URL, SUPABASE_SERVICE_ROLE_KEY and SUPABASE_KEY (the tenant's exai-store key)."""
import hashlib
import json
import os
import unittest
import urllib.error
import urllib.request
import uuid

from postgrest.exceptions import APIError
from storage3.exceptions import StorageApiError
from supabase import create_client

from exai_storage import SupabaseStorageManager
from seed_service import SupabaseService

BASE = os.environ["SUPABASE_URL"]
KEY = os.environ["SUPABASE_KEY"]


def setUpModule():
    """The buckets EXAI's scripts/supabase/create_buckets.py and the seed's dashboard step make; a second run finds them."""
    client = create_client(BASE, KEY)
    for bucket in ("user-files", "generated-files", "mcp-files"):
        try:
            client.storage.create_bucket(bucket, options={"public": False})
        except StorageApiError as e:
            if e.code != "Duplicate":
                raise


def raw(path):
    """GET without any key, as a browser follows a signed or public URL."""
    with urllib.request.urlopen(BASE + path) as answer:
        return answer.read()


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

    def test_files_are_objects_with_metadata_rows_and_links(self):
        storage = SupabaseStorageManager()
        conversation = storage.get_or_create_conversation(str(uuid.uuid4()))
        content = ("file content " + str(uuid.uuid4())).encode()
        path = "uploads/%s/notes.txt" % uuid.uuid4()
        file_id = storage.upload_file(content, "notes.txt", path, "text/plain")
        self.assertIsNotNone(file_id)
        # a second upload of the same path finds the files row and uploads nothing
        self.assertEqual(storage.upload_file(content, "notes.txt", path, "text/plain"), file_id)
        # the object is an exai-store file: listed by the native API, the same bytes
        sha = hashlib.sha256(content).hexdigest()
        items = native("GET", "/files?sha256=" + sha)["items"]
        self.assertEqual([(f["filename"], f["size"]) for f in items], [("notes.txt", len(content))])
        self.assertEqual(storage.download_file(file_id), content)
        # links: a repeat merges (True), a batch counts only new links
        other = storage.upload_file(b"generated", "out.json", "gen/%s.json" % uuid.uuid4(), "application/json", "generated")
        self.assertTrue(storage.link_file_to_conversation(conversation, file_id))
        self.assertTrue(storage.link_file_to_conversation(conversation, file_id))
        self.assertEqual(storage.link_files_to_conversation_batch(conversation, [file_id, other]), 1)
        links = storage.client.table("conversation_files").select("*").eq("conversation_id", conversation).execute().data
        self.assertEqual(sorted(link["file_id"] for link in links), sorted([file_id, other]))
        # delete_file: the object (so the exai-store file) and the row go, the links with the row
        self.assertTrue(storage.delete_file(file_id))
        self.assertEqual(native("GET", "/files?sha256=" + sha)["items"], [])
        self.assertIsNone(storage.download_file(file_id))
        self.assertFalse(storage.delete_file(file_id))
        links = storage.client.table("conversation_files").select("file_id").eq("conversation_id", conversation).execute().data
        self.assertEqual(links, [{"file_id": other}])


    def test_a_missing_table_is_pgrst205_which_the_module_survives(self):
        storage = SupabaseStorageManager()
        with self.assertRaises(APIError) as raised:
            storage.client.table("file_embeddings").select("*").execute()
        self.assertEqual(raised.exception.code, "PGRST205")


class StorageApiTest(unittest.TestCase):
    """The rest of Storage as supabase-py calls it: buckets, listing, move, copy, signed and public URLs."""

    def test_buckets_objects_and_urls(self):
        client = create_client(BASE, KEY)
        bucket = "py-" + str(uuid.uuid4())[:8]
        client.storage.create_bucket(bucket, options={"public": False})
        self.assertEqual(client.storage.get_bucket(bucket).id, bucket)
        self.assertIn(bucket, [b.id for b in client.storage.list_buckets()])
        files = client.storage.from_(bucket)
        self.assertEqual(files.upload("a/one.txt", b"one").full_path, bucket + "/a/one.txt")
        files.upload("a/two.txt", b"two", {"content-type": "application/json"})
        with self.assertRaises(StorageApiError) as raised:
            files.upload("a/one.txt", b"again")
        self.assertEqual((raised.exception.code, raised.exception.status), ("Duplicate", "409"))
        files.upload("a/one.txt", b"replaced", {"upsert": "true"})
        files.update("a/one.txt", b"updated")
        self.assertEqual(files.download("a/one.txt"), b"updated")
        self.assertTrue(files.exists("a/two.txt"))
        self.assertFalse(files.exists("a/none.txt"))
        self.assertEqual(files.info("a/two.txt")["size"], 3)
        self.assertEqual([e["name"] for e in files.list()], ["a"])
        self.assertEqual([e["name"] for e in files.list("a", {"sortBy": {"column": "name", "order": "desc"}})],
                         ["two.txt", "one.txt"])
        files.move("a/two.txt", "b/two.txt")
        files.copy("b/two.txt", "b/three.txt")
        self.assertEqual(files.download("b/three.txt"), b"two")
        signed = files.create_signed_url("b/three.txt", 60)
        self.assertEqual(raw(signed["signedURL"][len(BASE):]), b"two")
        many = files.create_signed_urls(["b/two.txt", "b/none.txt"], 60)
        self.assertIsNone(many[0]["error"])
        self.assertIsNotNone(many[1]["error"])
        upload = files.create_signed_upload_url("c/up.txt")
        files.upload_to_signed_url("c/up.txt", upload["token"], b"signed upload")
        self.assertEqual(files.download("c/up.txt"), b"signed upload")
        # a public bucket's objects need no key; a private one's do
        public = files.get_public_url("b/two.txt")
        with self.assertRaises(urllib.error.HTTPError):
            raw(public[len(BASE):])
        client.storage.update_bucket(bucket, {"public": True})
        self.assertEqual(raw(files.get_public_url("b/two.txt")[len(BASE):]), b"two")
        removed = files.remove(["b/two.txt", "b/none.txt"])
        self.assertEqual([r["name"] for r in removed], ["b/two.txt"])
        with self.assertRaises(StorageApiError):
            client.storage.delete_bucket(bucket)
        client.storage.empty_bucket(bucket)
        client.storage.delete_bucket(bucket)
        with self.assertRaises(StorageApiError) as raised:
            client.storage.get_bucket(bucket)
        self.assertEqual(raised.exception.status, "404")

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

    def test_files_of_the_seed(self):
        service = SupabaseService()
        path = "/tmp/seed/%s/report.md" % uuid.uuid4()  # the seed passes a local path as the object's path
        self.assertEqual(service.upload_file("mcp-files", path, b"# report"), path.lstrip("/"))
        self.assertEqual(service.download_file("mcp-files", path), b"# report")
        with self.assertRaises(StorageApiError):
            service.upload_file("mcp-files", path, b"# again")
        with self.assertRaises(StorageApiError) as raised:
            service.download_file("no-such-bucket", path)
        self.assertEqual(raised.exception.status, "404")


if __name__ == "__main__":
    unittest.main()
