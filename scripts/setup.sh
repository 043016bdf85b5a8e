#!/usr/bin/env bash
# Set up everything the project needs, once: espeak-ng (Debian package, for generated corpora)
# and a virtual environment in .venv with the pinned packages of setup.cfg. Safe to re-run:
# it only installs what is missing or what changed in setup.cfg.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv"
python=${PYTHON:-python3}

if ! command -v espeak-ng >/dev/null 2>&1; then
  echo "setup: installing espeak-ng (text-to-speech for the generated corpus)"
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq espeak-ng >/dev/null \
    || echo "setup: warning: could not install espeak-ng; 'asr synth' will not work" >&2
fi

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: error: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))" >&2
  exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating $venv"
  "$python" -m venv "$venv"
fi
stamp="$venv/.installed-$(cat "$root/setup.cfg" "$root/pyproject.toml" | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "setup: installing pinned packages into $venv (torch is large: a few minutes on first run)"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -e "$root[test]"
  rm -f "$venv"/.installed-* && touch "$stamp"
fi
