package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"herald"
)

// PutAccount creates account id with name, or renames it. created reports
// which.
func (s *Store) PutAccount(ctx context.Context, id int64, name string) (a herald.Account, created bool, err error) {
	now := millis(s.now())
	err = s.Transact(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET name = $1, updated_at = $2 WHERE id = $3`, name, now, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		created = true
		_, err = tx.ExecContext(ctx, `INSERT INTO accounts (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)`, id, name, now)
		return err
	})
	if err != nil {
		return herald.Account{}, false, fmt.Errorf("store: put account: %w", err)
	}
	a, err = s.Account(ctx, id)
	return a, created, err
}

// Account returns account id, or herald.ErrNotFound.
func (s *Store) Account(ctx context.Context, id int64) (herald.Account, error) {
	var a herald.Account
	var created, updated int64
	err := s.r.QueryRowContext(ctx, `SELECT id, name, created_at, updated_at FROM accounts WHERE id = $1`, id).
		Scan(&a.ID, &a.Name, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return a, herald.ErrNotFound
	}
	if err != nil {
		return a, fmt.Errorf("store: account: %w", err)
	}
	a.CreatedAt, a.UpdatedAt = fromMillis(created), fromMillis(updated)
	return a, nil
}

// PutCompany sets the account's primary contact; nil clears it.
func (s *Store) PutCompany(ctx context.Context, accountID int64, c herald.Company) error {
	var name, email string
	if c.PrimaryContact != nil {
		name, email = c.PrimaryContact.Name, c.PrimaryContact.Email
	}
	return s.updateAccount(ctx, accountID, `contact_name = $1, contact_email = $2`, name, email)
}

// Company returns the account's Company tab.
func (s *Store) Company(ctx context.Context, accountID int64) (herald.Company, error) {
	var name, email string
	err := s.r.QueryRowContext(ctx, `SELECT contact_name, contact_email FROM accounts WHERE id = $1`, accountID).Scan(&name, &email)
	if errors.Is(err, sql.ErrNoRows) {
		return herald.Company{}, herald.ErrNotFound
	}
	if err != nil {
		return herald.Company{}, fmt.Errorf("store: company: %w", err)
	}
	return company(name, email), nil
}

func company(name, email string) herald.Company {
	if email == "" {
		return herald.Company{}
	}
	return herald.Company{PrimaryContact: &herald.Contact{Name: name, Email: email}}
}

// PutSettings replaces the account's notification settings. Saving a
// different webhook URL turns the webhook back on with its counters reset:
// a new endpoint starts with a clean record.
func (s *Store) PutSettings(ctx context.Context, accountID int64, st herald.Settings) error {
	events, err := json.Marshal(st.Events)
	if err != nil {
		return err
	}
	retry := 0
	if st.RetryFailedWebhooks {
		retry = 1
	}
	sealed := s.seal(st.WebhookURL)
	return s.Transact(ctx, func(tx *sql.Tx) error {
		var old string
		err := tx.QueryRowContext(ctx, `SELECT webhook_url FROM accounts WHERE id = $1`, accountID).Scan(&old)
		if errors.Is(err, sql.ErrNoRows) {
			return herald.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: put settings: %w", err)
		}
		// A URL that cannot be opened counts as different: the health
		// record is then reset, which is what a new URL gets anyway.
		oldURL, openErr := s.open(old)
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET webhook_url = $1, event_settings = $2, retry_failed_webhooks = $3, updated_at = $4
			WHERE id = $5`, sealed, string(events), retry, millis(s.now()), accountID)
		if err == nil && (openErr != nil || oldURL != st.WebhookURL) {
			err = resetHealth(ctx, tx, accountID)
		}
		if err != nil {
			return fmt.Errorf("store: put settings: %w", err)
		}
		return nil
	})
}

// Settings returns the account's notification settings, all five events
// present.
func (s *Store) Settings(ctx context.Context, accountID int64) (herald.Settings, error) {
	var u, events string
	var retry int
	err := s.r.QueryRowContext(ctx, `SELECT webhook_url, event_settings, retry_failed_webhooks FROM accounts WHERE id = $1`, accountID).
		Scan(&u, &events, &retry)
	if errors.Is(err, sql.ErrNoRows) {
		return herald.Settings{}, herald.ErrNotFound
	}
	if err != nil {
		return herald.Settings{}, fmt.Errorf("store: settings: %w", err)
	}
	return s.settings(u, events, retry)
}

// settings reads the stored columns; webhookURL is sealed.
func (s *Store) settings(webhookURL, events string, retry int) (herald.Settings, error) {
	st := herald.DefaultSettings()
	u, err := s.open(webhookURL)
	if err != nil {
		return st, fmt.Errorf("store: settings: webhook URL: %w", err)
	}
	st.WebhookURL = u
	st.RetryFailedWebhooks = retry != 0
	var saved map[herald.EventKey]herald.EventSettings
	if err := json.Unmarshal([]byte(events), &saved); err != nil {
		return st, fmt.Errorf("store: stored event settings are corrupt: %w", err)
	}
	for k, es := range saved {
		if k.Valid() {
			if es.EmailSubscribers == nil {
				es.EmailSubscribers = []string{}
			}
			st.Events[k] = es
		}
	}
	return st, nil
}

// Recipients is what ingest needs of an account to plan deliveries.
type Recipients struct {
	Account  herald.Account
	Company  herald.Company
	Settings herald.Settings
	// WebhookDisabled is why the account's webhook is disabled; "" while
	// it is on. Webhooks are then planned as skipped.
	WebhookDisabled string

	// version is what the read saw, on PostgreSQL (pgrecipients.go).
	version *recipientsVersion
	// signing is the keys that sign the account's webhooks (newest
	// first, ended overlaps included), for the jobs ingest hands over
	// (handoff.go); the claim reads them itself.
	signing []herald.SigningKey
}

// Recipients reads account, company, settings and whether the webhook is
// disabled in one query: ingest runs it for every event.
func (s *Store) Recipients(ctx context.Context, accountID int64) (Recipients, error) {
	if s.dialect != SQLite {
		return s.readRecipients(ctx, accountID)
	}
	r, gen, ok := s.recipients.get(accountID)
	if ok {
		return r, nil
	}
	start := time.Now()
	r, err := s.readRecipients(ctx, accountID)
	if err == nil {
		s.recipients.put(accountID, r, gen, start)
	}
	return r, err
}

// readRecipients reads Recipients from the database.
func (s *Store) readRecipients(ctx context.Context, accountID int64) (Recipients, error) {
	var r Recipients
	var created, updated int64
	var name, email, u, events string
	var retry int
	var disabledAt sql.NullInt64
	var reason sql.NullString
	dest := []any{&r.Account.ID, &r.Account.Name, &created, &updated, &name, &email, &u, &events, &retry, &disabledAt, &reason}
	version := ""
	if s.dialect == Postgres {
		r.version = &recipientsVersion{}
		version, dest = `, a.xmin::text`, append(dest, &r.version.xmin)
	}
	err := s.queryRow(ctx, `SELECT a.id, a.name, a.created_at, a.updated_at, a.contact_name, a.contact_email, a.webhook_url, a.event_settings,
		a.retry_failed_webhooks, h.disabled_at, h.disabled_reason`+version+` FROM accounts a`+webhookHealthJoin+` WHERE a.id = $1`, accountID).
		Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return r, herald.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store: recipients: %w", err)
	}
	r.Account.CreatedAt, r.Account.UpdatedAt = fromMillis(created), fromMillis(updated)
	r.Company = company(name, email)
	if disabledAt.Valid {
		r.WebhookDisabled = reason.String
	}
	if r.version != nil {
		r.version.disabledAt = disabledAt
	}
	if r.Settings, err = s.settings(u, events, retry); err != nil {
		return r, err
	}
	if r.Settings.WebhookURL != "" {
		// Every key, also those whose overlap has ended: each job leaves
		// those out at its own time (handoff.go).
		if r.signing, err = s.SigningKeys(ctx, accountID, time.Time{}); err != nil {
			return r, err
		}
	}
	s.pgRecipients.put(r)
	return r, nil
}

func (s *Store) updateAccount(ctx context.Context, accountID int64, set string, a, b any) error {
	return s.Transact(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET `+set+`, updated_at = $3 WHERE id = $4`, a, b, millis(s.now()), accountID)
		if err != nil {
			return fmt.Errorf("store: update account: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return herald.ErrNotFound
		}
		return nil
	})
}
