-- Types are the ones SQLite and PostgreSQL agree on (TEXT, BIGINT), so one
-- file serves both engines. Times are Unix milliseconds.

CREATE TABLE accounts (
    id             BIGINT PRIMARY KEY,
    name           TEXT   NOT NULL,
    contact_name   TEXT   NOT NULL DEFAULT '',
    contact_email  TEXT   NOT NULL DEFAULT '',
    webhook_url    TEXT   NOT NULL DEFAULT '',
    event_settings TEXT   NOT NULL DEFAULT '{}',
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id         TEXT   PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name       TEXT   NOT NULL,
    prefix     TEXT   NOT NULL,
    hash       TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE INDEX api_keys_account ON api_keys (account_id);

-- The platform token generated on first start; only its hash.
CREATE TABLE platform_tokens (
    id         TEXT   PRIMARY KEY,
    hash       TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE events (
    id              TEXT   PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_key       TEXT   NOT NULL,
    idempotency_key TEXT,
    fingerprint     TEXT   NOT NULL,
    occurred_at     BIGINT NOT NULL,
    payload         TEXT   NOT NULL,
    created_at      BIGINT NOT NULL
);

-- NULL keys never collide, in both engines: events without a key are
-- never deduplicated.
CREATE UNIQUE INDEX events_idempotency ON events (account_id, idempotency_key);
CREATE INDEX events_created ON events (created_at);

-- The deliveries table is also the queue: a worker claims due rows by
-- setting a lease, sends, and completes them; a lease that expires (the
-- worker died) makes the row claimable again.
CREATE TABLE deliveries (
    id              TEXT    PRIMARY KEY,
    event_id        TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL, -- the order ingest planned them in
    account_id      BIGINT  NOT NULL,
    event_key       TEXT    NOT NULL,
    channel         TEXT    NOT NULL,
    target          TEXT    NOT NULL,
    host            TEXT    NOT NULL DEFAULT '', -- a webhook's host, for per-host limits
    is_test         INTEGER NOT NULL DEFAULT 0,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at BIGINT  NOT NULL DEFAULT 0,
    lease_owner     TEXT    NOT NULL DEFAULT '',
    lease_until     BIGINT  NOT NULL DEFAULT 0,
    response_status INTEGER,
    error           TEXT    NOT NULL DEFAULT '',
    latency_ms      BIGINT,
    created_at      BIGINT  NOT NULL,
    completed_at    BIGINT
);

CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_account ON deliveries (account_id, created_at);
-- Covering (host and id included): a claim's scan reads the index alone.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, host, id) WHERE status = 'pending';

-- Every try of a delivery, with what was sent and what came back.
CREATE TABLE delivery_attempts (
    id               TEXT    PRIMARY KEY,
    delivery_id      TEXT    NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    started_at       BIGINT  NOT NULL,
    completed_at     BIGINT  NOT NULL,
    target           TEXT    NOT NULL, -- URL with query values masked, or the address
    request_headers  TEXT    NOT NULL DEFAULT '{}',
    response_status  INTEGER,
    response_headers TEXT    NOT NULL DEFAULT '{}',
    response_body    TEXT    NOT NULL DEFAULT '',
    error            TEXT    NOT NULL DEFAULT '',
    latency_ms       BIGINT  NOT NULL DEFAULT 0
);

CREATE INDEX delivery_attempts_delivery ON delivery_attempts (delivery_id, started_at);

-- Emails kept when no SMTP server is configured: never dropped.
CREATE TABLE outbox (
    id          TEXT   PRIMARY KEY,
    delivery_id TEXT   NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    account_id  BIGINT NOT NULL,
    recipient   TEXT   NOT NULL,
    subject     TEXT   NOT NULL,
    message     TEXT   NOT NULL, -- the whole RFC 5322 message
    created_at  BIGINT NOT NULL
);

CREATE INDEX outbox_account ON outbox (account_id, created_at);
CREATE INDEX outbox_delivery ON outbox (delivery_id);
