#!/usr/bin/env bash
# Usage: install-venv.sh FOLDER (tools/export, tools/bench). Creates FOLDER/.venv with the exact versions of
# FOLDER/requirements.txt. A stamp holding the requirements' hash makes re-runs free; a changed requirements file
# rebuilds the environment from scratch.
set -euo pipefail
HERE="$(cd "${1:?usage: install-venv.sh FOLDER}" && pwd)"
NAME="$(basename "$HERE") venv"
VENV="$HERE/.venv"
STAMP="$VENV/requirements.sha256"
want="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
  echo "$NAME: up to date ($VENV)"
  exit 0
fi
# Any Python 3.10+ with venv; the one on PATH first, Debian's as a fallback.
PYTHON=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c 'import sys, venv; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    PYTHON="$candidate"
    break
  fi
done
if [ -z "$PYTHON" ]; then
  echo "$NAME: needs Python 3.10+ with the venv module (Debian: apt-get install python3-venv)" >&2
  exit 1
fi
echo "$NAME: creating $VENV with $("$PYTHON" --version)"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --quiet --no-input -r "$HERE/requirements.txt"
echo "$want" > "$STAMP"
