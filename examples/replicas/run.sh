#!/usr/bin/env bash
# Two replicas of the mock and the Redis they share, on one machine, all on loopback: a team's
# deployment in small (docs/redis.md). Starts Debian's redis-server with persistence off in a
# temporary folder, then two `authconform serve --store redis://...` on it, waits until both
# answer /__authconform/health, prints their URLs, and runs until Ctrl-C (or SIGTERM), which
# stops all three and removes the folder. If one of them ends, the others are stopped too.
#
#   examples/replicas/run.sh                         # every bundled spec, ports chosen free
#   PORT_A=8081 PORT_B=8082 examples/replicas/run.sh --spec efalia --config mock.yaml
#
# Arguments are passed to both `authconform serve`. Environment (all optional):
#   AUTHCONFORM    the authconform binary (default: bin/authconform of this repository if built,
#                  else authconform on the PATH)
#   REDIS_SERVER   the redis-server binary (default: redis-server on the PATH)
#   PORT_A, PORT_B the replicas' ports (default 0: free ones)
#   REDIS_PORT     Redis's port (default: a free one)
#   STORE_PREFIX   the key prefix (default authconform:)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
if [ -z "${AUTHCONFORM:-}" ]; then
  if [ -x "$repo/bin/authconform" ]; then AUTHCONFORM="$repo/bin/authconform"; else AUTHCONFORM=authconform; fi
fi
REDIS_SERVER=${REDIS_SERVER:-redis-server}
PORT_A=${PORT_A:-0}
PORT_B=${PORT_B:-0}
STORE_PREFIX=${STORE_PREFIX:-authconform:}
command -v "$AUTHCONFORM" >/dev/null || { echo "run.sh: $AUTHCONFORM not found (make build, or set AUTHCONFORM)" >&2; exit 2; }
command -v "$REDIS_SERVER" >/dev/null || { echo "run.sh: $REDIS_SERVER not found (apt-get install redis-server, or set REDIS_SERVER)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/authconform-replicas.XXXXXX")
pids=()
stopping=0
stop() {
  [ "$stopping" = 1 ] && return
  stopping=1
  # The replicas first (they end their requests and close their Redis connections), then Redis.
  for pid in "${pids[@]:1}" "${pids[@]:0:1}"; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 0' INT TERM

# taken PORT: something listens on 127.0.0.1:PORT.
taken() { { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1; exec 3<&- 3>&-; }

# answers PORT LINE: a TCP connection to 127.0.0.1:PORT, LINE sent, the first line of the answer.
answers() {
  local reply=""
  { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
  printf '%b' "$2" >&3
  IFS= read -r -t 2 reply <&3 || true
  exec 3<&- 3>&-
  printf '%s' "$reply"
}

# Redis, on REDIS_PORT or on a free port (another process may take a port between the check and
# the start: then another is tried).
start_redis() {
  local port=$1
  "$REDIS_SERVER" --bind 127.0.0.1 --port "$port" --protected-mode yes --save "" --appendonly no \
    --dir "$work" --daemonize no --logfile "$work/redis.log" &
  pids=("$!")
  for _ in $(seq 100); do
    [[ "$(answers "$port" 'PING\r\n' || true)" == +PONG* ]] && return 0
    kill -0 "${pids[0]}" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "${pids[0]}" 2>/dev/null || true
  wait "${pids[0]}" 2>/dev/null || true
  pids=()
  return 1
}
if [ -n "${REDIS_PORT:-}" ]; then
  start_redis "$REDIS_PORT" || { echo "run.sh: redis-server did not start on 127.0.0.1:$REDIS_PORT:" >&2; tail -5 "$work/redis.log" >&2; exit 1; }
else
  for attempt in $(seq 10); do
    REDIS_PORT=$((20000 + RANDOM % 40000))
    taken "$REDIS_PORT" && continue
    start_redis "$REDIS_PORT" && break
    [ "$attempt" = 10 ] && { echo "run.sh: redis-server did not start:" >&2; tail -5 "$work/redis.log" >&2; exit 1; }
  done
fi
store="redis://127.0.0.1:$REDIS_PORT/0"

# The two replicas, on the one Redis and prefix.
urls=()
for name in A B; do
  port=$PORT_A
  [ "$name" = B ] && port=$PORT_B
  "$AUTHCONFORM" serve --addr "127.0.0.1:$port" --store "$store" --store-prefix "$STORE_PREFIX" "$@" \
    >"$work/$name.out" 2>"$work/$name.log" &
  pids+=("$!")
  url=""
  for _ in $(seq 300); do
    url=$(sed -nE 's#.*listening on (http://127\.0\.0\.1:[0-9]+).*#\1#p' "$work/$name.out" | head -1)
    [ -n "$url" ] && break
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  [ -n "$url" ] || { echo "run.sh: replica $name did not start:" >&2; tail -5 "$work/$name.log" "$work/$name.out" >&2; exit 1; }
  urls+=("$url")
done
for i in 0 1; do
  port=${urls[$i]##*:}
  healthy=""
  for _ in $(seq 100); do
    status=$(answers "$port" 'GET /__authconform/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' || true)
    [[ "$status" == *" 200"* ]] && { healthy=1; break; }
    sleep 0.05
  done
  [ -n "$healthy" ] || { echo "run.sh: ${urls[$i]}/__authconform/health does not answer 200: ${status:-nothing}" >&2; exit 1; }
done

echo "replica A: ${urls[0]}"
echo "replica B: ${urls[1]}"
echo "redis: $store (keys under \"$STORE_PREFIX\"; no persistence: stopping it forgets the state)"
echo "logs: $work/{A,B}.log, $work/redis.log"
echo "Ctrl-C stops all three."

# Until a signal, or one of the three ends (then the script fails, and the others are stopped).
wait -n "${pids[@]}" || true
echo "run.sh: a process ended on its own; stopping the others" >&2
exit 1
