package herald

import "time"

// Role is what a signed-in person may do.
type Role string

// The roles of the admin pages.
const (
	RoleAdmin    Role = "admin"    // may change settings, send tests, redeliver
	RoleViewer   Role = "viewer"   // reads only
	RoleOperator Role = "operator" // the platform's staff: any account, as admin
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleViewer || r == RoleOperator
}

// User signs in to the admin pages with an email and a password (stored
// as an argon2id hash). AccountID is 0 for operators, who may switch
// between accounts.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	AccountID int64     `json:"account_id"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// Session is a signed-in browser: a user's, or a portal link's (UserID
// ""). Only the SHA-256 of its id is stored. AccountID is the account in
// view; Role is what the session may do there.
type Session struct {
	UserID    string
	AccountID int64
	Role      Role
	CSRF      string // the token every form of this session must carry
	ExpiresAt time.Time
	CreatedAt time.Time
}
