-- The delivery log filtered by a status reads this index only for the
-- rare, final statuses (failed, skipped). Succeeded, nearly every row, is
-- found soon enough walking deliveries_account_id, and so is pending, the
-- newest rows. Without them the index is a fraction of its size, and a
-- delivery that succeeds never writes to it (pending rows are
-- deliveries_due's, for the claim and the release of leases).
DROP INDEX deliveries_account_status;
CREATE INDEX deliveries_account_status ON deliveries (account_id, status, id) WHERE status NOT IN ('succeeded', 'pending');
