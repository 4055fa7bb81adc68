-- Webhook signing keys, and the check that the master key sealing secrets
-- at rest is the right one. Same types as 0001, so both engines share it.

-- An account's signing keys: the current one (expires_at NULL) and
-- previous ones still signing beside it until expires_at. secret is
-- sealed (AES-256-GCM under the master key): the HMAC secret or the
-- ed25519 seed.
CREATE TABLE signing_keys (
    id         TEXT   PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    scheme     TEXT   NOT NULL,
    secret     TEXT   NOT NULL,
    public_key TEXT   NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT NULL
);

CREATE INDEX signing_keys_account ON signing_keys (account_id, created_at);

-- The master key everything is sealed under, by id, with a value sealed
-- under it: a start with another key fails on it, clearly, before any
-- secret is read. One row.
CREATE TABLE master_keys (
    id         TEXT   PRIMARY KEY,
    probe      TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
