// supabase-js (the browser and Node client) against exai-store's Supabase door: one round trip of rows and one of
// objects, as a page would make them. Prints one JSON object of what it saw; SupabaseJsIT checks it. Needs SUPABASE_URL, SUPABASE_KEY and
// NODE_PATH pointing at a node_modules holding @supabase/supabase-js.
const { createClient } = require('@supabase/supabase-js');

async function main() {
  const supabase = createClient(process.env.SUPABASE_URL, process.env.SUPABASE_KEY);
  const cid = 'js-' + Date.now() + '-' + Math.floor(Math.random() * 1e9);
  const seen = {};
  // a plain insert sends no Prefer: 201 with no body, so no data
  const plain = await supabase.from('chat_sessions').insert({ continuation_id: cid });
  seen.plainInsert = { status: plain.status, data: plain.data, error: plain.error };
  const session = await supabase.from('chat_sessions').select('*').eq('continuation_id', cid).single();
  seen.session = session.data;
  // an array insert names its columns (?columns="...") and asks for the rows with .select()
  const inserted = await supabase.from('chat_messages').insert([
    { session_id: session.data.id, role: 'user', content: 'hello from supabase-js' },
    { session_id: session.data.id, role: 'assistant', content: 'hello back' },
  ]).select();
  seen.inserted = { status: inserted.status, count: inserted.data && inserted.data.length, error: inserted.error };
  const read = await supabase.from('chat_messages').select('role,content').eq('session_id', session.data.id)
    .order('created_at', { ascending: true });
  seen.read = read.data;
  const counted = await supabase.from('chat_messages').select('*', { count: 'exact', head: true }).eq('session_id', session.data.id);
  seen.count = counted.count;
  // upsert: "resolution=ignore-duplicates, return=representation" in one Prefer value
  const again = await supabase.from('chat_sessions').upsert({ continuation_id: cid }, { onConflict: 'continuation_id', ignoreDuplicates: true }).select();
  seen.upsertAgain = { status: again.status, data: again.data, error: again.error };
  const missing = await supabase.from('file_access_log').select('*');
  seen.missingTable = missing.error && missing.error.code;
  const removed = await supabase.from('chat_sessions').delete().eq('id', session.data.id).select('id');
  seen.removed = removed.data;
  seen.cid = cid;

  // objects: a bucket, a Blob upload (multipart, as from a file input) and a string upload (raw body), download,
  // list, a signed URL fetched with no key, removal
  const bucket = 'js-' + Math.floor(Math.random() * 1e9);
  const made = await supabase.storage.createBucket(bucket);
  seen.bucket = { data: made.data, error: made.error };
  const files = supabase.storage.from(bucket);
  const blob = await files.upload('page/photo.txt', new Blob(['bytes from a page'], { type: 'text/plain' }));
  seen.blobUpload = { fullPath: blob.data && blob.data.fullPath, error: blob.error };
  const text = await files.upload('page/note.md', '# from a string', { contentType: 'text/markdown' });
  seen.textUpload = { fullPath: text.data && text.data.fullPath, error: text.error };
  const duplicate = await files.upload('page/note.md', 'again');
  seen.duplicate = duplicate.error && { statusCode: duplicate.error.statusCode, message: duplicate.error.message };
  const downloaded = await files.download('page/photo.txt');
  seen.downloaded = downloaded.data && await downloaded.data.text();
  const listed = await files.list('page');
  seen.listed = listed.data && listed.data.map((entry) => entry.name);
  const signed = await files.createSignedUrl('page/note.md', 60);
  const fetched = await fetch(signed.data.signedUrl);
  seen.signedFetch = { status: fetched.status, body: await fetched.text() };
  // the objects are exai-store files: the native API lists the Blob's bytes by their sha256
  const sha = require('crypto').createHash('sha256').update('bytes from a page').digest('hex');
  const native = await fetch(process.env.SUPABASE_URL + '/files?sha256=' + sha,
    { headers: { Authorization: 'Bearer ' + process.env.SUPABASE_KEY } });
  seen.nativeFiles = (await native.json()).items.map((file) => file.filename);
  const removed2 = await files.remove(['page/photo.txt', 'page/note.md']);
  seen.objectsRemoved = removed2.data && removed2.data.length;
  const gone = await files.download('page/photo.txt');
  seen.afterRemove = gone.error && gone.error.statusCode;
  seen.bucketDeleted = (await supabase.storage.deleteBucket(bucket)).data;
  seen.bucketId = bucket;
  console.log(JSON.stringify(seen));
}

main().catch((e) => { console.error(e); process.exit(1); });
