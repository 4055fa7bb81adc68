-- The admin pages' sign-in. Same types as 0001 (TEXT, BIGINT; times in Unix
-- milliseconds), so this file too serves both engines.

-- People who sign in with an email and a password. Emails are stored
-- lowercased, so the unique constraint is case-insensitive. account_id is
-- NULL for operators, who are not bound to one account.
CREATE TABLE users (
    id            TEXT   PRIMARY KEY,
    email         TEXT   NOT NULL UNIQUE,
    account_id    BIGINT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role          TEXT   NOT NULL,
    password_hash TEXT   NOT NULL, -- argon2id, PHC string
    created_at    BIGINT NOT NULL
);

CREATE INDEX users_account ON users (account_id);

-- Signed-in browsers, by the SHA-256 of the cookie's value. user_id is
-- NULL for a session a portal link opened. account_id is the account in
-- view (0 for an operator who has not picked one).
CREATE TABLE sessions (
    hash       TEXT   PRIMARY KEY,
    user_id    TEXT   NULL REFERENCES users (id) ON DELETE CASCADE,
    account_id BIGINT NOT NULL DEFAULT 0,
    role       TEXT   NOT NULL,
    csrf       TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);

-- Single-use sign-in links the platform hands out, by the SHA-256 of the
-- link's token. used_at is set by the one request that redeems it.
CREATE TABLE portal_links (
    hash       TEXT   PRIMARY KEY,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    role       TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NULL,
    created_at BIGINT NOT NULL
);
