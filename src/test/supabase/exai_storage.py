"""A storage module written the way EXAI's src/storage/storage_manager.py is (conversations and messages through
supabase-py): the same calls, the same request shapes, the same handling of what PostgREST answers. It is the client
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
