#!/bin/bash
# A throwaway MariaDB for the tests: no systemd, loopback/socket only, stopped
# by the PID it wrote. Usage:
#   server.sh start DIR [PORT]   # creates DIR/data, starts, waits; prints the socket
#   server.sh stop DIR           # TERM by PID, waits for the exit
#   server.sh kill DIR           # KILL by PID (a crash), keeps the data
set -euo pipefail
cmd=${1:?start|stop|kill}
dir=${2:?directory}
port=${3:-0}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
sock=$dir/mysqld.sock
pidf=$dir/mysqld.pid

wait_gone() {
  local pid=$1
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  echo "server.sh: mariadbd $pid did not exit" >&2
  return 1
}

case $cmd in
start)
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$dir/data" --user=root \
      --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 ||
      { cat "$dir/install.log" >&2; exit 1; }
  fi
  net=(--skip-networking)
  if [ "$port" != 0 ]; then net=(--port="$port" --bind-address=127.0.0.1); fi
  mariadbd --no-defaults --datadir="$dir/data" --socket="$sock" "${net[@]}" \
    --user=root --pid-file="$pidf" --log-error="$dir/error.log" --skip-log-bin \
    --innodb-buffer-pool-size=256M --innodb-log-file-size=256M --max-connections=200 \
    --innodb-flush-log-at-trx-commit=1 >/dev/null 2>&1 &
  for _ in $(seq 1 300); do
    if mariadb-admin --no-defaults -S "$sock" -uroot ping >/dev/null 2>&1; then
      echo "$sock"
      exit 0
    fi
    sleep 0.1
  done
  echo "server.sh: mariadbd did not start; $dir/error.log:" >&2
  tail -20 "$dir/error.log" >&2
  exit 1
  ;;
stop | kill)
  [ -f "$pidf" ] || exit 0
  pid=$(cat "$pidf")
  kill -"$([ "$cmd" = stop ] && echo TERM || echo KILL)" "$pid" 2>/dev/null || true
  wait_gone "$pid"
  rm -f "$pidf"
  ;;
*)
  echo "server.sh: unknown command $cmd" >&2
  exit 2
  ;;
esac
