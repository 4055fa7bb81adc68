-- The outbox list (API and page) reads an account's messages newest first
-- by id, paging with id < the previous page's last id: this index serves
-- that order, so a page reads its rows instead of sorting the account's
-- whole outbox.
CREATE INDEX outbox_account_id ON outbox (account_id, id);
-- It replaces this one, which no query reads by.
DROP INDEX outbox_account;
