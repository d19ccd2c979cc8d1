// supabase-js (the browser and Node client) against exai-store's Supabase door: one round trip of rows, as a page
// would make it. Prints one JSON object of what it saw; SupabaseJsIT checks it. Needs SUPABASE_URL, SUPABASE_KEY and
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
  console.log(JSON.stringify(seen));
}

main().catch((e) => { console.error(e); process.exit(1); });
