-- The change feed's outbox (docs/design.md, "The change feed"). A writer inserts its events in the same transaction
-- (or statement) as the change; they get the feed's id only once that transaction is complete, from the stamper,
-- which numbers every complete, unnumbered event in insertion order under one lock. So a reader that has passed an
-- id can never meet a smaller one later: no slow transaction can commit an id below one already served.
CREATE TABLE events (
    seq             BIGSERIAL   PRIMARY KEY,
    xid             XID8        NOT NULL DEFAULT pg_current_xact_id(),
    id              BIGINT,
    tenant          TEXT        NOT NULL,
    type            TEXT        NOT NULL,
    continuation_id TEXT,
    data            JSONB       NOT NULL,
    at              TIMESTAMPTZ
);
CREATE INDEX events_unstamped ON events (seq) WHERE id IS NULL;
CREATE INDEX events_feed ON events (tenant, id) WHERE id IS NOT NULL;

-- The last id given, and the highest id the retention purge deleted (a reader behind it gets 410).
CREATE TABLE event_stamp (
    one        INT    PRIMARY KEY CHECK (one = 1),
    last_id    BIGINT NOT NULL,
    purged_id  BIGINT NOT NULL
);
INSERT INTO event_stamp VALUES (1, 0, 0);
