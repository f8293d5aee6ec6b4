#!/usr/bin/env bash
# Print the path of an installed Python 3.12+ (Django 6 needs it), or explain what to do.
set -u
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; }
for candidate in "${PYTHON:-}" python3.13 python3.12 python3; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if ok "$path"; then echo "$path"; exit 0; fi
done
# pyenv installs (the python3.12 shim may refuse to run; the versions' own binaries work).
root=$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")
for path in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do
  if ok "$path"; then echo "$path"; exit 0; fi
done
cat >&2 <<'MSG'
No Python 3.12 or newer was found (Django 6 needs 3.12+).
Install one and run again, for example:
  - Debian/Ubuntu:  sudo apt-get install python3.12 python3.12-venv
  - pyenv:          pyenv install 3.12
  - or point at one: make demo PYTHON=/path/to/python3.12
MSG
exit 1
