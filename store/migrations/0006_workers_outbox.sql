-- Workers announce they are alive: a node takes over the leases of a
-- worker whose heartbeat stopped (it was killed), instead of waiting for
-- them to run out.
CREATE TABLE workers (
    owner        TEXT   PRIMARY KEY, -- the lease_owner of its deliveries
    heartbeat_at BIGINT NOT NULL,
    started_at   BIGINT NOT NULL
);

-- Outbox messages compressed with a preset dictionary (store/outboxdict):
-- the first byte is the dictionary's version, then a raw DEFLATE stream.
-- message is '' for these; older rows keep message and an empty
-- message_z. BYTEA is a blob in SQLite too.
ALTER TABLE outbox ADD COLUMN message_z BYTEA;

-- The delivery log reads an account's deliveries newest first by id.
CREATE INDEX deliveries_account_id ON deliveries (account_id, id);
-- It replaces this one, which no query reads by.
DROP INDEX deliveries_account;

-- The delivery log filtered by status (failed, say: rare, so the id index
-- alone would read the account's whole log to fill a page).
CREATE INDEX deliveries_account_status ON deliveries (account_id, status, id);
