-- The change feed without a numbering pass (docs/design.md, "The change feed"). An event's place in the feed is
-- (xid, seq): the writing transaction's id, then its insertion order. A reader serves only events of transactions
-- below the oldest running one (pg_snapshot_xmin), which are all complete, so an event it has not served can never
-- land below one it has. The stamper's UPDATE of every event row (a second heap row, two index entries and a dead
-- tuple per event) is gone; the feed id is computed from (xid, ordinal within the transaction) when read.
DROP INDEX events_unstamped;
DROP INDEX events_feed;
UPDATE events SET at = clock_timestamp() WHERE at IS NULL;
ALTER TABLE events DROP CONSTRAINT events_pkey,
    DROP COLUMN id,
    ALTER COLUMN at SET DEFAULT clock_timestamp(),
    ALTER COLUMN at SET NOT NULL,
    ADD PRIMARY KEY (xid, seq);
CREATE INDEX events_feed ON events (tenant, xid, seq);

-- seen: the newest transaction whose events were announced on exai_events (one announcement a transaction horizon,
-- whichever replica sees it first). purged_id keeps its meaning: a resume below it is a 410.
ALTER TABLE event_stamp DROP COLUMN last_id, ADD COLUMN seen XID8 NOT NULL DEFAULT '0';
UPDATE event_stamp SET seen = coalesce((SELECT xid FROM events ORDER BY xid DESC LIMIT 1), '0');
