#!/bin/sh
# Run a command inside a private network namespace with a veth pair (RECIPES.md §1), so that Chromium's ICE
# candidates are addresses of that namespace and never the machine's eth0. Needs root (or CAP_SYS_ADMIN).
exec unshare -n sh -c '
  ip link set lo up
  ip link add v0 type veth peer name v1
  ip addr add 10.77.0.1/24 dev v0
  ip addr add 10.77.0.2/24 dev v1
  ip link set v0 up
  ip link set v1 up
  exec "$@"' sh "$@"
