package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"herald/seal"
	"herald/store"
)

// keySource is where the master key came from: the setting, a file, or a
// file generated just now.
type keySource struct {
	key  []byte
	path string // "" when the key came from HERALD_SECRET_KEY
	// generated: the key is new and not yet written to path; save writes
	// it, once the database is known to be reachable.
	generated bool
}

// save writes a generated key to its file (mode 0600) and logs where.
// When another process starting at the same moment wrote the file first,
// its key is taken instead.
func (k *keySource) save(logger *slog.Logger) error {
	if !k.generated {
		return nil
	}
	if err := writeKeyFile(k.path, k.key); errors.Is(err, fs.ErrExist) {
		raw, err := os.ReadFile(k.path)
		if err != nil {
			return fmt.Errorf("master key file: %w", err)
		}
		if k.key, err = seal.ParseKey(string(raw)); err != nil {
			return fmt.Errorf("master key file %s: %w", k.path, err)
		}
		k.generated = false
		return nil
	} else if err != nil {
		return fmt.Errorf("generating the master key file: %w", err)
	}
	abs, _ := filepath.Abs(k.path)
	logger.Warn("generated the master key that seals webhook URLs and signing keys; keep this file and back it up: without it they cannot be read",
		"path", abs, "key_id", seal.KeyID(k.key))
	return nil
}

// defaultKeyFile is where a generated master key lives: beside a SQLite
// database (its name + ".key"), else in the working directory.
func defaultKeyFile(databaseURL string) string {
	if path, ok := strings.CutPrefix(databaseURL, "sqlite:"); ok {
		return strings.TrimPrefix(path, "//") + ".key"
	}
	return "herald.key"
}

// loadMasterKey finds the master key: HERALD_SECRET_KEY, else the file
// HERALD_SECRET_KEY_FILE names (which must exist), else the default file,
// made up when missing and generate is set (save writes it).
func loadMasterKey(cfg Config, logger *slog.Logger, generate bool) (keySource, error) {
	if cfg.SecretKey != "" {
		k, err := seal.ParseKey(cfg.SecretKey)
		if err != nil {
			return keySource{}, fmt.Errorf("-secret-key: %w", err)
		}
		return keySource{key: k}, nil
	}
	path, explicit := cfg.SecretKeyFile, cfg.SecretKeyFile != ""
	if !explicit {
		path = defaultKeyFile(cfg.DatabaseURL)
	}
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		k, err := seal.ParseKey(string(raw))
		if err != nil {
			return keySource{}, fmt.Errorf("master key file %s: %w", path, err)
		}
		if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
			logger.Warn("the master key file is readable by others; chmod 600 it", "path", path, "mode", info.Mode().Perm().String())
		}
		return keySource{key: k, path: path}, nil
	case !errors.Is(err, fs.ErrNotExist):
		return keySource{}, fmt.Errorf("master key file: %w", err)
	case explicit:
		return keySource{}, fmt.Errorf("-secret-key-file: %s does not exist; unset it to let Herald generate a key file, or write one (base64 of 32 random bytes, e.g. openssl rand -base64 32)", path)
	case !generate:
		return keySource{}, fmt.Errorf("no master key: neither -secret-key nor -secret-key-file is set and %s does not exist", path)
	}
	return keySource{key: seal.NewKey(), path: path, generated: true}, nil
}

// writeKeyFile writes a new key file, mode 0600, refusing to replace one.
// The key is written and synced under a temporary name first, then linked
// into place: a process starting at the same moment either finds no file
// or the whole key, never a file still being written.
func writeKeyFile(path string, key []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := io.WriteString(f, seal.EncodeKey(key)+"\n"); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Link(tmp, path) // fs.ErrExist when another process won
}

const secretsUsage = `usage: herald secrets rotate-key [-new-key-file PATH] [flags]

Seals every webhook URL and signing key under a new master key, in one
transaction. Stop every herald serve of the database first.

The current key is found as herald serve finds it. The new one is
written to -new-key-file when given (set HERALD_SECRET_KEY_FILE to it
afterwards); else, when the current key is in a file, it replaces that
file (written beside it as FILE.new first, renamed once the database is
resealed); else (HERALD_SECRET_KEY) it is printed once, for you to set.

"herald secrets rotate-key -help" lists every flag.
`

// secrets runs "herald secrets <subcommand>"; rotate-key is the only one.
func secrets(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, secretsUsage)
		return 2
	}
	switch args[0] {
	case "rotate-key":
		return rotateKey(ctx, args[1:], stdout, stderr, getenv)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, secretsUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "herald secrets: unknown command %q\n\n%s", args[0], secretsUsage)
		return 2
	}
}

func rotateKey(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	const name = "secrets rotate-key"
	fs := flag.NewFlagSet("herald "+name, flag.ContinueOnError)
	newFile := fs.String("new-key-file", "", "write the new master key to this file (must not exist)")
	cfg, code, ok := parseFlagSet(fs, name, args, stdout, stderr, getenv)
	if !ok {
		return code
	}
	logger := newLogger(stderr, cfg)
	if err := rotateKeyConfig(ctx, cfg, *newFile, stdout, logger); err != nil {
		fmt.Fprintf(stderr, "herald %s: %v\n", name, err)
		return 1
	}
	return 0
}

func rotateKeyConfig(ctx context.Context, cfg Config, newFile string, stdout io.Writer, logger *slog.Logger) error {
	old, err := loadMasterKey(cfg, logger, false)
	if err != nil {
		return err
	}
	next := seal.NewKey()
	// The new key is on disk before the database depends on it.
	dest, replace := newFile, ""
	if dest == "" && old.path != "" {
		dest, replace = old.path+".new", old.path
	}
	if dest != "" {
		if err := writeKeyFile(dest, next); err != nil {
			return fmt.Errorf("writing the new key: %w", err)
		}
	}
	box, err := seal.NewBox(next, old.key)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, store.Options{Secrets: box})
	if err != nil {
		return err
	}
	defer st.Close()
	// Migrate finds the database sealed under the previous key and
	// reseals it under the new one, in one transaction.
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	if replace != "" {
		if err := os.Rename(dest, replace); err != nil {
			return fmt.Errorf("the database is sealed under the new key, which is in %s; rename it to %s: %w", dest, replace, err)
		}
		dest = replace
	}
	fmt.Fprintf(stdout, "resealed every secret: master key %s replaced by %s\n", seal.KeyID(old.key), seal.KeyID(next))
	if dest != "" {
		fmt.Fprintf(stdout, "the new key is in %s\n", dest)
	} else {
		fmt.Fprintf(stdout, "set HERALD_SECRET_KEY to the new key (shown this once):\n%s\n", seal.EncodeKey(next))
	}
	return nil
}
