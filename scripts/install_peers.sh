#!/usr/bin/env bash
# install_peers.sh - install the reference "peers" shrink is checked against:
# PyTorch 1.13 + onnx + numpy from Debian (apt) and onnxruntime-node from npm into build/peers/.
# Idempotent; exits non-zero on failure. Usage: scripts/install_peers.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PEERS="${SHRINK_PEERS_DIR:-$ROOT/build/peers}"
APT_PKGS=(python3-torch python3-torchvision python3-onnx python3-numpy)
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install_peers: apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y -qq "${missing[@]}" >/tmp/install_peers_apt.log 2>&1; then
    echo "install_peers: apt-get update (package not found?)"
    $SUDO apt-get update -qq >/dev/null
    $SUDO apt-get install -y -qq "${missing[@]}" >/tmp/install_peers_apt.log 2>&1 \
      || { tail -20 /tmp/install_peers_apt.log; echo "install_peers: apt-get install failed" >&2; exit 1; }
  fi
fi
/usr/bin/python3 -c "import torch, torchvision, onnx, numpy" \
  || { echo "install_peers: python packages not importable" >&2; exit 1; }

mkdir -p "$PEERS"
[ -f "$PEERS/package.json" ] || echo '{"name":"shrink-peers","private":true}' > "$PEERS/package.json"
if [ ! -d "$PEERS/node_modules/onnxruntime-node" ]; then
  echo "install_peers: npm install onnxruntime-node into $PEERS"
  # --ignore-scripts: the postinstall script fetches GPU binaries from an unreachable host;
  # the CPU library already ships inside the package.
  npm --prefix "$PEERS" install --ignore-scripts --no-audit --no-fund --loglevel=error onnxruntime-node >/dev/null
fi
NODE_PATH="$PEERS/node_modules" node -e "require('onnxruntime-node')" \
  || { echo "install_peers: onnxruntime-node does not load" >&2; exit 1; }
echo "install_peers: ok (torch $(/usr/bin/python3 -c 'import torch;print(torch.__version__)'), onnxruntime-node $(node -p "require('$PEERS/node_modules/onnxruntime-node/package.json').version"))"
