-- One-click unsubscribing (RFC 8058) for email subscribers.
--
-- A subscriber's token is an HMAC of (account, event, address) under this
-- secret, made once: the same person gets the same link in every email, so
-- the link can be written before the email is sent and resending adds no
-- rows. Only the token's SHA-256 is stored beside what it unsubscribes.
CREATE TABLE unsubscribe_secret (
    id         INTEGER PRIMARY KEY, -- always 1
    secret     TEXT    NOT NULL,    -- hex
    created_at BIGINT  NOT NULL
);

CREATE TABLE unsubscribe_tokens (
    hash            TEXT   PRIMARY KEY,
    account_id      BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_key       TEXT   NOT NULL,
    email           TEXT   NOT NULL, -- as the settings had it
    created_at      BIGINT NOT NULL,
    unsubscribed_at BIGINT           -- the last time the link removed the address
);

CREATE INDEX unsubscribe_tokens_account ON unsubscribe_tokens (account_id, unsubscribed_at);
