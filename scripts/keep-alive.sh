#!/usr/bin/env bash
# Runs a command again whenever it exits (a worker killed by the kernel's OOM killer or by kill -9),
# until this script itself is stopped (make stop sends it TERM, which it passes on).
set -u
stopping=0
child=""
trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null' TERM INT
while [ "$stopping" -eq 0 ]; do
  "$@" &
  child=$!
  wait "$child"
  rc=$?
  [ "$stopping" -eq 1 ] && { wait "$child" 2>/dev/null; break; }
  echo "keep-alive: '$1' exited with status $rc; starting it again in 2 s" >&2
  sleep 2
done
