#!/bin/sh
# kikan-std @VERSION@ — offline install (no network): a new virtual environment from the bundled wheels.
# 使い方 / usage:  ./install.sh [TARGET_DIR]       (default: ./kikan-std-venv beside this script)
#                  PYTHON=/usr/bin/python3.12 ./install.sh /opt/kikan-std
# Python 3.11–3.13 (x86-64 Linux, glibc 2.17 or newer).
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
target=${1:-"$here/kikan-std-venv"}
python=${PYTHON:-python3}

if ! "$python" -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null; then
    echo "install.sh: Python 3.11〜3.13 が必要です（PYTHON=... で指定）/ needs Python 3.11-3.13 (set PYTHON=...): $python" >&2
    exit 2
fi
if command -v sha256sum >/dev/null 2>&1; then
    # Every file of the bundle against SHA256SUMS (pip checks the wheels' hashes again below).
    (cd "$here" && sha256sum --quiet -c SHA256SUMS) || {
        echo "install.sh: チェックサムが一致しません（コピーが壊れています）/ checksum mismatch: the bundle is damaged" >&2
        exit 1
    }
fi
"$python" -m venv "$target"
# --no-index: never the network; --require-hashes: only the wheels listed, byte for byte.
PIP_NO_INDEX=1 "$target/bin/python" -m pip install --quiet --disable-pip-version-check --no-index \
    --find-links "$here/wheels" --require-hashes -r "$here/requirements.txt"
"$target/bin/kikan-std" --version
echo "インストールしました / installed: $target/bin/kikan-std"
echo "試す / try:  \"$target/bin/kikan-std\" check \"$here/examples/jutogai_atena_sample.csv\" --spec jutogai_atena"
