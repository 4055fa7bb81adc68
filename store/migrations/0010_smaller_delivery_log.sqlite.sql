-- The delivery log filtered by a status reads this index only for the
-- rare, final statuses (failed, skipped). Succeeded, nearly every row, is
-- found soon enough walking deliveries_account_id, and so is pending, the
-- newest rows. Without them the index is a fraction of its size, and a
-- delivery that succeeds never writes to it (pending rows are
-- deliveries_due's, for the claim and the release of leases). (The same as PostgreSQL.)
DROP INDEX deliveries_account_status;
CREATE INDEX deliveries_account_status ON deliveries (account_id, status, id) WHERE status NOT IN ('succeeded', 'pending');

-- Attempts are read by their delivery only (delivery_attempts_delivery),
-- never by their own id, so SQLite drops the id's unique index (its
-- automatic index of a TEXT primary key), a sixth of the attempt log's
-- bytes. A table's primary key cannot be dropped in SQLite: the table is
-- made again. PostgreSQL keeps its primary key. The delivery's index
-- leaves out started_at: a delivery has a handful of attempts, sorted
-- when read.
CREATE TABLE delivery_attempts_0010 (
    id               TEXT    NOT NULL,
    delivery_id      TEXT    NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    started_at       BIGINT  NOT NULL,
    completed_at     BIGINT  NOT NULL,
    target           TEXT    NOT NULL,
    request_headers  TEXT    NOT NULL DEFAULT '{}',
    response_status  INTEGER,
    response_headers TEXT    NOT NULL DEFAULT '{}',
    response_body    TEXT    NOT NULL DEFAULT '',
    error            TEXT    NOT NULL DEFAULT '',
    latency_ms       BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO delivery_attempts_0010 (id, delivery_id, started_at, completed_at, target, request_headers, response_status,
    response_headers, response_body, error, latency_ms)
    SELECT id, delivery_id, started_at, completed_at, target, request_headers, response_status,
    response_headers, response_body, error, latency_ms FROM delivery_attempts ORDER BY rowid;
DROP TABLE delivery_attempts;
ALTER TABLE delivery_attempts_0010 RENAME TO delivery_attempts;
CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id);
