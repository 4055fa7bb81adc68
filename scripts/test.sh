#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a developer's: installs
# and starts what the tests need (PostgreSQL on a loopback port in a
# temporary directory, stopped at the end; Mailpit; Chromium), then runs gofmt, go vet,
# staticcheck and go test -race against SQLite and PostgreSQL.
#
#   scripts/test.sh              everything
#   scripts/test.sh ./store/...  go test arguments narrow the run
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '== %s\n' "$*" >&2; }

as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=
apt_install() {
	if [ -z "$apt_updated" ]; then
		as_root apt-get update -qq
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_bin() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

# free_port prints a port nobody listens on, from a random start, so
# suites started together rarely pick the same one (start_postgres
# tries again when they do).
free_port() {
	local p start=$((55432 + RANDOM % 500))
	for p in $(seq "$start" 55999) $(seq 55432 "$start"); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

pgdir=
stop_postgres() {
	if [ -n "$pgdir" ] && [ -d "$pgdir" ]; then
		run_pg "$(pg_bin)/pg_ctl" -D "$pgdir/data" -m immediate -w stop >/dev/null 2>&1 || true
		rm -rf "$pgdir"
	fi
}

# initdb refuses to run as root: run the server as the postgres user then.
run_pg() {
	if [ "$(id -u)" = 0 ]; then
		su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
	else
		"$@"
	fi
}

start_postgres() {
	if ! pg_bin >/dev/null; then
		log "installing PostgreSQL from the Debian packages"
		apt_install postgresql
	fi
	local bin port
	bin=$(pg_bin)
	pgdir=$(mktemp -d /tmp/herald-pg.XXXXXX)
	chmod 755 "$pgdir"
	[ "$(id -u)" = 0 ] && chown postgres "$pgdir"
	trap stop_postgres EXIT
	run_pg "$bin/initdb" -D "$pgdir/data" -U postgres --auth=trust --locale=C.UTF-8 --encoding=UTF8 >/dev/null
	# fsync off: the tests need a server, not durability, and a fast one.
	# Another suite may take the port between free_port and the start:
	# then try another.
	local try
	for try in 1 2 3 4 5; do
		port=$(free_port)
		if run_pg "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
			-o "-p $port -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null; then
			break
		fi
		[ "$try" = 5 ] && { cat "$pgdir/log" >&2; return 1; }
		log "PostgreSQL could not start on port $port; trying another"
	done
	run_pg "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres herald_test
	export HERALD_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/herald_test?sslmode=disable"
	log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port"
}

if ! command -v go >/dev/null; then
	export PATH="$PATH:/usr/local/go/bin"
fi
export PATH="$PATH:$(go env GOPATH)/bin"

start_postgres

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" $unformatted >&2
	exit 1
fi

log "go vet"
go vet ./...

if ! command -v staticcheck >/dev/null; then
	log "installing staticcheck"
	go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
log "staticcheck"
staticcheck ./...

# The email tests send through a real Mailpit (mailpit/), which also
# scores each email's HTML against the major mail clients.
if ! command -v mailpit >/dev/null; then
	log "installing Mailpit"
	go install github.com/axllent/mailpit@v1.33.1
fi
HERALD_TEST_MAILPIT=$(command -v mailpit)
export HERALD_TEST_MAILPIT
log "Mailpit: $HERALD_TEST_MAILPIT"

# The browser tests drive Debian's Chromium (ui/browser_test.go); in CI
# they fail rather than skip without it.
chromium_path() {
	local c
	for c in "${HERALD_TEST_CHROMIUM:-}" /usr/bin/chromium chromium chromium-browser google-chrome google-chrome-stable; do
		if [ -n "$c" ] && command -v "$c" >/dev/null; then
			command -v "$c"
			return 0
		fi
	done
	return 1
}
if ! chromium_path >/dev/null; then
	log "installing Chromium from the Debian packages (browser tests)"
	apt_install chromium
fi
HERALD_TEST_CHROMIUM=$(chromium_path)
export HERALD_TEST_CHROMIUM
log "Chromium: $HERALD_TEST_CHROMIUM"

# The accessibility audit (ui/browser_a11y_test.go) runs axe-core from npm
# in Chromium; in CI it fails rather than skips without it.
axe_version=4.14.1
axe_dir="${XDG_CACHE_HOME:-$HOME/.cache}/herald-test/axe-core-$axe_version"
if [ ! -f "$axe_dir/node_modules/axe-core/axe.min.js" ]; then
	if ! command -v npm >/dev/null; then
		log "installing npm from the Debian packages (accessibility audit)"
		apt_install npm
	fi
	log "installing axe-core $axe_version (accessibility audit)"
	mkdir -p "$axe_dir"
	npm install --silent --no-audit --no-fund --prefix "$axe_dir" "axe-core@$axe_version" >/dev/null
fi
export HERALD_TEST_AXE="$axe_dir/node_modules/axe-core/axe.min.js"
log "axe-core: $HERALD_TEST_AXE"

# The signing tests (web/signing_node_test.go) also verify with the npm
# Standard Webhooks package, as a Node receiver would.
sw_version=1.1.1
sw_dir="${XDG_CACHE_HOME:-$HOME/.cache}/herald-test/standardwebhooks-$sw_version"
if [ ! -f "$sw_dir/node_modules/standardwebhooks/package.json" ]; then
	log "installing standardwebhooks $sw_version (webhook signature tests)"
	mkdir -p "$sw_dir"
	npm install --silent --no-audit --no-fund --prefix "$sw_dir" "standardwebhooks@$sw_version" >/dev/null
fi
export HERALD_TEST_STANDARDWEBHOOKS="$sw_dir"
log "standardwebhooks (npm): $HERALD_TEST_STANDARDWEBHOOKS"

log "go test -race"
if [ $# -eq 0 ]; then set -- ./...; fi
go test -race -count=1 -timeout 12m "$@"
