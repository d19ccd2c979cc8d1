"""A storage module written the way EXAI's src/storage/storage_manager.py is (conversations, messages, files and
their links, provider upload records through supabase-py; file bytes in Supabase Storage): the same calls, the same request shapes, the same handling of what PostgREST answers. It is the client
side of the Supabase door's tests and is run unchanged against exai-store."""
import hashlib
import logging
import os
from datetime import datetime

from supabase import create_client

log = logging.getLogger("exai_storage")


class SupabaseStorageManager:
    def __init__(self):
        url = os.getenv("SUPABASE_URL")
        key = os.getenv("SUPABASE_SERVICE_ROLE_KEY")
        self.enabled = bool(url and key)
        self.client = create_client(url, key) if self.enabled else None
        if self.enabled:
            try:  # _prewarm_connections: a table exai-store does not have; errors are ignored
                self.client.table("schema_version").select("version").limit(1).execute()
            except Exception as e:  # noqa: BLE001 - EXAI logs and goes on
                log.info("schema_version not readable: %s", e)

    def save_conversation(self, continuation_id, title=None, metadata=None):
        data = {"title": title or f"Conversation {continuation_id[:8]}", "metadata": metadata or {},
                "continuation_id": continuation_id}
        try:
            result = self.client.table("conversations").upsert(data).execute()
            return result.data[0]["id"] if result.data else None
        except Exception as e:  # noqa: BLE001
            log.warning("save_conversation failed: %s", e)
            return None

    def get_conversation_by_continuation_id(self, continuation_id):
        result = self.client.table("conversations").select("*").eq("continuation_id", continuation_id).execute()
        return result.data[0] if result.data else None

    def get_or_create_conversation(self, continuation_id, title=None, metadata=None):
        """ConversationMapper.get_or_create_conversation: read first, create only when missing."""
        found = self.get_conversation_by_continuation_id(continuation_id)
        if found:
            return found["id"]
        return self.save_conversation(continuation_id, title, metadata)

    def save_message(self, conversation_id, role, content, metadata=None, timestamp=None):
        created_at = timestamp or datetime.now().isoformat()
        key = hashlib.sha256(f"{role}:{content}:{created_at}".encode()).hexdigest()
        row = {"conversation_id": conversation_id, "role": role, "content": content, "metadata": metadata or {},
               "created_at": created_at, "idempotency_key": key}
        try:
            result = (self.client.table("messages")
                      .upsert(row, on_conflict="idempotency_key", ignore_duplicates=True).execute())
            return result.data[0]["id"] if result.data else None
        except Exception as e:  # noqa: BLE001
            log.warning("save_message failed: %s", e)
            return None

    def get_conversation_messages(self, conversation_id, limit=None):
        query = (self.client.table("messages").select("*").eq("conversation_id", conversation_id)
                 .order("created_at", desc=False))
        if limit:
            query = query.limit(limit)
        return query.execute().data

    def save_provider_file_upload(self, provider, provider_file_id, purpose="file-extract", metadata=None):
        data = {"provider": provider, "provider_file_id": provider_file_id, "purpose": purpose, "metadata": metadata or {}}
        try:
            result = self.client.table("provider_file_uploads").insert(data).execute()
            return result.data[0]["id"] if result.data else None
        except Exception as e:  # noqa: BLE001
            if "duplicate key" in str(e) or "unique constraint" in str(e):
                existing = self.get_provider_file_by_id(provider, provider_file_id)
                return existing["id"] if existing else None
            log.warning("save_provider_file_upload failed: %s", e)
            return None

    def get_provider_file_by_id(self, provider, provider_file_id):
        result = (self.client.table("provider_file_uploads").select("*").eq("provider", provider)
                  .eq("provider_file_id", provider_file_id).execute())
        return result.data[0] if result.data else None

    def update_provider_file_last_used(self, provider, provider_file_id):
        result = (self.client.table("provider_file_uploads").update({"last_used": datetime.now().isoformat()})
                  .eq("provider", provider).eq("provider_file_id", provider_file_id).execute())
        return bool(result.data)

    def get_provider_files_by_purpose(self, provider, purpose, limit=100):
        return (self.client.table("provider_file_uploads").select("*").eq("provider", provider).eq("purpose", purpose)
                .limit(limit).execute().data)

    # files: the bytes in Storage (the bucket by file_type), the metadata in the files table, links in conversation_files

    @staticmethod
    def _bucket(file_type):
        return "user-files" if file_type == "user_upload" else "generated-files"

    def _check_file_exists(self, file_path, file_type):
        result = (self.client.table("files").select("id").eq("storage_path", file_path).eq("file_type", file_type)
                  .execute())
        return result.data[0]["id"] if result.data else None

    def upload_file(self, file_data, original_name, file_path, mime_type=None, file_type="user_upload"):
        existing = self._check_file_exists(file_path, file_type)
        if existing:
            return existing
        try:
            self.client.storage.from_(self._bucket(file_type)).upload(file_path, file_data)
        except Exception as e:  # noqa: BLE001
            text = str(e)
            if "Duplicate" in text or "already exists" in text or "409" in text:
                return self._check_file_exists(file_path, file_type)
            log.warning("upload_file failed: %s", e)
            return None
        row = {"storage_path": file_path, "original_name": original_name, "mime_type": mime_type,
               "size_bytes": len(file_data), "file_type": file_type}
        result = self.client.table("files").insert(row).execute()
        return result.data[0]["id"] if result.data else None

    def download_file(self, file_id):
        result = self.client.table("files").select("*").eq("id", file_id).execute()
        if not result.data:
            return None
        row = result.data[0]
        return self.client.storage.from_(self._bucket(row["file_type"])).download(row["storage_path"])

    def delete_file(self, file_id):
        result = self.client.table("files").select("*").eq("id", file_id).execute()
        if not result.data:
            return False
        row = result.data[0]
        try:
            self.client.storage.from_(self._bucket(row["file_type"])).remove([row["storage_path"]])
        except Exception as e:  # noqa: BLE001 - EXAI only logs a storage error
            log.warning("storage remove failed: %s", e)
        deleted = self.client.table("files").delete().eq("id", file_id).execute()
        return bool(deleted.data)

    def link_file_to_conversation(self, conversation_id, file_id):
        try:
            result = (self.client.table("conversation_files")
                      .upsert({"conversation_id": conversation_id, "file_id": file_id}).execute())
            return bool(result.data)
        except Exception as e:  # noqa: BLE001
            if "duplicate key" in str(e):
                return True
            log.warning("link_file_to_conversation failed: %s", e)
            return False

    def link_files_to_conversation_batch(self, conversation_id, file_ids):
        rows = [{"conversation_id": conversation_id, "file_id": file_id} for file_id in file_ids]
        result = (self.client.table("conversation_files")
                  .upsert(rows, on_conflict="conversation_id,file_id", ignore_duplicates=True).execute())
        return len(result.data)
