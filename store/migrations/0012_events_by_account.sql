-- The events list (GET /api/v1/accounts/{id}/events) reads an account's
-- events newest first by id. Without this index SQLite read every event of
-- the account and sorted them, and PostgreSQL walked every account's events
-- backwards by id, for each page.
CREATE INDEX events_account_id ON events (account_id, id);
-- Retention finds old events by their ids, which start with the time they
-- were accepted (store/retention.go), so no index of created_at is kept:
-- an event still writes as many index entries as before.
DROP INDEX events_created;
