-- Email digests (email_digest_minutes). The first email of a burst goes
-- at once and opens the event's window for the account; emails of the
-- window's further events are held until it ends and then go as one digest
-- per recipient.
--
-- A held email stays an ordinary delivery of its event. The first one held
-- for a recipient in a window carries the digest: its digest_id is its own
-- id and it is due when the window ends, so a worker claims, leases and
-- retries it like any email. The others name it in digest_id and are never
-- due by themselves; they are completed with it.
ALTER TABLE deliveries ADD COLUMN digest_id TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_digest ON deliveries (digest_id) WHERE digest_id <> '';

-- The latest window of each account's event type: from started_at (the
-- email sent at once) until ends_at, that event's emails are held.
CREATE TABLE digest_windows (
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_key  TEXT   NOT NULL,
    started_at BIGINT NOT NULL,
    ends_at    BIGINT NOT NULL,
    PRIMARY KEY (account_id, event_key)
);
