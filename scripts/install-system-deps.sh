#!/usr/bin/env bash
# Debian packages the tests need: Chromium for the browser tests, and Python with PyTorch, ONNX, NumPy and
# scikit-learn (used through /usr/bin/python3) for training the bundled model and for reference numbers; PostgreSQL
# and Redis for the integration suite's scale-out pass (scripts/start-scale-out-services.sh).
# Then the checkpoint exporter's virtual environment (tools/export/.venv, pinned by tools/export/requirements.txt:
# PyTorch 2.x, transformers 5.x, onnx, onnxruntime, safetensors). Safe to re-run: installs only what is missing.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

PACKAGES=(
  chromium
  python3-torch python3-onnx libopenblas0-pthread python3-numpy python3-sklearn python3-pil
  fonts-dejavu-core
  postgresql redis-server
)

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  echo "system packages: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

bash "$ROOT/scripts/install-venv.sh" "$ROOT/tools/export"
