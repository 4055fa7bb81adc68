-- Failed webhooks: the per-account retry switch, the webhook's health, and
-- attempt counts for the last 24 hours. Same types as 0001 (TEXT, BIGINT;
-- times in Unix milliseconds), so this file too serves both engines.

ALTER TABLE accounts ADD COLUMN retry_failed_webhooks INTEGER NOT NULL DEFAULT 0;

-- One row per account whose webhook was ever tried; no row reads as
-- healthy with no attempts. failing_since is the first failure of the
-- current streak (NULL when not failing); failing_notice_at is set once
-- the streak's notice was planned, so a streak sends one; disabled_at is
-- set while the webhook is disabled.
CREATE TABLE webhook_health (
    account_id           BIGINT  PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_success_at      BIGINT  NULL,
    last_failure_at      BIGINT  NULL,
    last_error           TEXT    NOT NULL DEFAULT '',
    failing_since        BIGINT  NULL,
    failing_notice_at    BIGINT  NULL,
    disabled_at          BIGINT  NULL,
    disabled_reason      TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX webhook_health_disabled ON webhook_health (disabled_at);

-- Webhook attempts per account and hour (hour = its first millisecond),
-- so "succeeded in the last 24 hours" reads at most 25 rows instead of
-- the attempt log. Rows older than two days are deleted as new ones come.
CREATE TABLE webhook_attempt_counts (
    account_id BIGINT  NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    hour       BIGINT  NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    succeeded  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, hour)
);
