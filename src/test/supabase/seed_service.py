"""The seed's SupabaseService, as its Phase 2 wrote it (chat_sessions and chat_messages through supabase-py, files
in a Storage bucket), with the one import it lacks (uuid). Its methods catch nothing: every failure reaches the caller."""
import os
import uuid

from supabase import create_client


class SupabaseService:
    def __init__(self):
        self.client = create_client(os.getenv("SUPABASE_URL"), os.getenv("SUPABASE_KEY"))

    def create_session(self, continuation_id=None):
        data = {"continuation_id": continuation_id or str(uuid.uuid4())}
        return self.client.table("chat_sessions").insert(data).execute().data[0]

    def get_session(self, continuation_id):
        result = self.client.table("chat_sessions").select("*").eq("continuation_id", continuation_id).execute()
        return result.data[0] if result.data else None

    def add_message(self, session_id, role, content):
        data = {"session_id": session_id, "role": role, "content": content}
        return self.client.table("chat_messages").insert(data).execute().data[0]

    def get_messages(self, session_id):
        return (self.client.table("chat_messages").select("*").eq("session_id", session_id)
                .order("created_at").execute().data)

    def upload_file(self, bucket, file_path, file_content):
        result = self.client.storage.from_(bucket).upload(path=file_path, file=file_content)
        return result.path

    def download_file(self, bucket, file_path):
        return self.client.storage.from_(bucket).download(file_path)
