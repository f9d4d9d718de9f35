# Shared helpers for Porthole's scripts. Source it; do not run it.
# Every process a script starts is recorded by PID under $PORTHOLE_RUN_DIR and stopped by that PID.

set -euo pipefail

PORTHOLE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PORTHOLE_RUN_DIR="${PORTHOLE_RUN_DIR:-$PORTHOLE_ROOT/run}"
PORTHOLE_JAR="$PORTHOLE_ROOT/modules/node/target/porthole.jar"
mkdir -p "$PORTHOLE_RUN_DIR"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

apt_install() {
  # apt_install PKG... : installs the Debian packages that are missing (root only)
  local missing=()
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  is_root || die "packages missing (${missing[*]}) and not root to install them"
  log "installing ${missing[*]}"
  if [ ! -f "$PORTHOLE_RUN_DIR/.apt-updated" ]; then
    apt-get update -qq && touch "$PORTHOLE_RUN_DIR/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_build_tools() {
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
  command -v mvn >/dev/null 2>&1 || apt_install maven
  command -v curl >/dev/null 2>&1 || apt_install curl
  command -v setpriv >/dev/null 2>&1 || apt_install util-linux
}

docker_answers() { timeout 10 docker info >/dev/null 2>&1; }

# ensure_docker: a Docker engine answers on the default socket (or $DOCKER_HOST).
# Starts dockerd (vfs storage) when none answers; records its PID in $PORTHOLE_RUN_DIR/dockerd.pid.
ensure_docker() {
  command -v docker >/dev/null 2>&1 && docker_answers && return 0
  if ! command -v dockerd >/dev/null 2>&1; then
    apt_install docker.io iptables
  fi
  command -v docker >/dev/null 2>&1 || die "the docker client is missing after installing docker.io"
  docker_answers && return 0
  [ -n "${DOCKER_HOST:-}" ] && die "DOCKER_HOST=$DOCKER_HOST does not answer"
  is_root || die "no Docker engine answers and starting one needs root"
  local pidfile="$PORTHOLE_RUN_DIR/dockerd.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "waiting for dockerd (pid $(cat "$pidfile"))"
  else
    log "starting dockerd (storage driver vfs)"
    rm -f /var/run/docker.pid
    nohup dockerd --storage-driver=vfs --pidfile "$PORTHOLE_RUN_DIR/dockerd.daemon.pid" \
      >"$PORTHOLE_RUN_DIR/dockerd.log" 2>&1 &
    echo $! >"$pidfile"
    PORTHOLE_STARTED_DOCKERD=1
  fi
  for _ in $(seq 1 120); do
    docker_answers && { log "dockerd is up"; return 0; }
    kill -0 "$(cat "$pidfile")" 2>/dev/null || { tail -20 "$PORTHOLE_RUN_DIR/dockerd.log" >&2; die "dockerd exited"; }
    sleep 0.5
  done
  die "dockerd did not answer within 60 s (log: $PORTHOLE_RUN_DIR/dockerd.log)"
}

# stop_pid NAME: stops the process whose PID is in $PORTHOLE_RUN_DIR/NAME.pid (TERM, then KILL)
stop_pid() {
  local pidfile="$PORTHOLE_RUN_DIR/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $1 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

# stop_started_dockerd: stops dockerd only when this script started it
stop_started_dockerd() {
  if [ "${PORTHOLE_STARTED_DOCKERD:-0}" = 1 ]; then stop_pid dockerd; fi
}

# ensure_devbox_image: builds porthole/devbox (busybox-static rootfs, docker import) when missing
ensure_devbox_image() {
  "$PORTHOLE_ROOT/scripts/devbox-image"
}

# build_jar: builds the fat jar when it is missing or older than any source
build_jar() {
  if [ -f "$PORTHOLE_JAR" ] && [ -z "$(find "$PORTHOLE_ROOT/modules" "$PORTHOLE_ROOT/pom.xml" "$PORTHOLE_ROOT/cluster" \
      \( -name '*.java' -o -name 'pom.xml' -o -name '*.xml' -o -name '*.sql' -o -name '*.json' \) \
      -newer "$PORTHOLE_JAR" -not -path '*/target/*' | head -1)" ]; then
    return 0
  fi
  log "building porthole.jar"
  (cd "$PORTHOLE_ROOT" && mvn -B -q -DskipTests -Dspotless.check.skip=true package) || die "build failed"
}

# wait_http URL [SECONDS]: waits until URL answers 200
wait_http() {
  local url="$1" secs="${2:-120}"
  for _ in $(seq 1 $((secs * 2))); do
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}
