#!/usr/bin/env bash
# Installs the real systems of `npm run test:real` from the lock files next to this script into
# virtual environments in a cache folder outside the clone, one per lock file content, so later
# runs reuse them. Prints `name=venv-path` lines on stdout; progress goes to stderr.
# Re-lock: uv pip compile --python-version 3.11 real/locks/NAME.in -o real/locks/NAME.txt
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${AIRLIFT_SYNC_REAL_CACHE:-$HOME/.cache/airlift-sync-real}
python=${AIRLIFT_SYNC_REAL_PYTHON:-python3.11}
uv_version=0.13.9
export UV_PYTHON_DOWNLOADS=never UV_CACHE_DIR="$cache/uv-cache"
mkdir -p "$cache"

uv_venv="$cache/uv-$uv_version"
if [ ! -x "$uv_venv/bin/uv" ]; then
  echo "installing uv $uv_version into $uv_venv" >&2
  rm -rf "$uv_venv"
  "$python" -m venv "$uv_venv"
  "$uv_venv/bin/pip" install --quiet --disable-pip-version-check "uv==$uv_version" >&2
fi
uv="$uv_venv/bin/uv"

install_lock() {
  local name=$1 lock="$here/locks/$1.txt" key venv
  key=$( { cat "$lock"; "$python" --version; echo "$uv_version"; } | sha256sum | cut -c1-16)
  venv="$cache/$name-$key"
  if [ ! -f "$venv/.complete" ]; then
    echo "installing $name from real/locks/$name.txt into $venv" >&2
    rm -rf "$venv"
    "$uv" venv --quiet --python "$python" "$venv" >&2
    "$uv" pip sync --quiet --python "$venv/bin/python" "$lock" >&2
    touch "$venv/.complete"
  fi
  echo "$name=$venv"
}

# One after the other: on 2 cores parallel installs gain little and the uv cache is shared.
names=("$@"); [ $# -gt 0 ] || names=(dagster airflow3 airflow2)
for name in "${names[@]}"; do install_lock "$name"; done
