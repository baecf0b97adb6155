#!/bin/sh
# Prints the newest Python >= 3.12 found on this machine, or explains what is missing.
for cand in python3.14 python3.13 python3.12 python3 python; do
    if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
        command -v "$cand"
        exit 0
    fi
done
for dir in "$HOME"/.pyenv/versions/3.14* "$HOME"/.pyenv/versions/3.13* "$HOME"/.pyenv/versions/3.12*; do
    if [ -x "$dir/bin/python3" ]; then
        echo "$dir/bin/python3"
        exit 0
    fi
done
echo "gridgov needs Python 3.12 or newer (3.13 preferred, see .python-version)," >&2
echo "and none was found on PATH (python3.14, python3.13, python3.12, python3) or under ~/.pyenv." >&2
echo "Install one, e.g. 'apt-get install python3.13' or 'pyenv install 3.13', then run make again." >&2
exit 1
