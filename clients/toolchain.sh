#!/usr/bin/env bash
# Makes sure what a client language's suite needs is here, installing it where it can:
#   clients/toolchain.sh go          Debian's Go toolchain, protoc plugins and gRPC libraries
#   clients/toolchain.sh typescript  Node.js 20+ and the npm packages locked in package-lock.json
# Exits 0 when the language is ready. Otherwise it says loudly why, and exits 1: `make test`
# then skips the language, except under CI (CI set), where it fails.
set -uo pipefail
cd "$(dirname "$0")/.."

# Debian packages of the Go client (GOPATH mode, offline): the toolchain, the code generators
# and the libraries the stubs import. The older golang-goprotobuf-dev cannot generate proto3
# `optional` fields and conflicts with golang-github-golang-protobuf-1-5-dev.
GO_PACKAGES=(golang-go protoc-gen-go protoc-gen-go-grpc golang-google-grpc-dev
  golang-google-genproto-dev golang-google-protobuf-dev golang-github-golang-protobuf-1-5-dev)
GOCODE=/usr/share/gocode/src

unavailable() {
  local language=$1 why=$2 remedy=$3
  {
    echo "======================================================================"
    echo "SKIPPING the $language client tests: $why"
    echo "  To run them: $remedy"
    [ -n "${CI:-}" ] && echo "  CI is set: a skipped language fails the build."
    echo "======================================================================"
  } >&2
  exit 1
}

go_missing() {
  local tool dir
  for tool in go protoc-gen-go protoc-gen-go-grpc; do
    command -v "$tool" >/dev/null || { echo "$tool"; return; }
  done
  for dir in google.golang.org/grpc google.golang.org/protobuf/types/known \
    google.golang.org/genproto/googleapis/rpc/errdetails github.com/golang/protobuf/ptypes; do
    [ -d "$GOCODE/$dir" ] || { echo "$GOCODE/$dir"; return; }
  done
}

apt_update() {
  local try
  for try in 1 2 3 4 5 6 7 8 9 10; do
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2 && return 0
    [ "$try" = 10 ] || { echo "apt-get update failed (try $try of 10); again in 30 s" >&2; sleep 30; }
  done
  return 1
}

go_ready() {
  local missing
  missing=$(go_missing)
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing the Go client's Debian packages (${GO_PACKAGES[*]})" >&2
    # Others may be installing too: wait for dpkg's lock instead of failing. apt-get update's
    # own lock is not always waited for, so update is retried a while; installing from the
    # lists already here is worth a try even when it keeps failing.
    apt_update || echo "apt-get update kept failing; installing from the package lists here" >&2
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
      "${GO_PACKAGES[@]}" >&2
    missing=$(go_missing)
    [ -z "$missing" ] && return 0
  fi
  unavailable Go "$missing is missing" "apt-get install ${GO_PACKAGES[*]} (as root)"
}

typescript_ready() {
  local dir=clients/typescript major
  command -v node >/dev/null && command -v npm >/dev/null ||
    unavailable TypeScript "node or npm is not installed" "install Node.js 20 or newer with npm"
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] ||
    unavailable TypeScript "Node.js $(node --version) is older than 20" "install Node.js 20 or newer"
  # npm ci installs exactly the locked versions; again only when the lock changed.
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
    [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
      unavailable TypeScript "npm ci failed in $dir (is the npm registry reachable?)" \
        "cd $dir && npm ci"
  fi
}

case "${1:-}" in
  go) go_ready ;;
  typescript) typescript_ready ;;
  *) echo "usage: $0 go|typescript" >&2; exit 2 ;;
esac
