#!/usr/bin/env bash
# Collects and compiles an English catalogue (gridgov/locale/README.md).
#   scripts/messages.sh          the core catalogue, gridgov/locale (every app without a locale/ of its own)
#   scripts/messages.sh APP      gridgov/APP/locale, made on first use
# Needs GNU gettext (apt-get install -y gettext). New and changed entries come out with an empty msgstr, never a
# fuzzy guess; write the English in, then run the same command again to compile.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
command -v msgattrib >/dev/null || { echo "GNU gettext is missing: apt-get install -y gettext" >&2; exit 1; }

blank_fuzzy() {  # makemessages guesses translations for new msgids from similar old ones: blank them
    msgattrib --clear-fuzzy --empty --clear-previous -o "$1" "$1"
}

report() {
    local po=$1 missing
    missing=$(msgattrib --untranslated --no-obsolete "$po" | grep -c '^msgid ' || true)
    # the header entry counts as one
    if [ "${missing:-0}" -gt 1 ]; then
        echo "$po: $((missing - 1)) entries need English; fill them in and run this again"
    else
        echo "$po: complete"
    fi
}

if [ $# -eq 0 ]; then
    ignores=(--ignore=.venv --ignore=bench --ignore='*/tests/*' --ignore=test-artifacts)
    for locale in gridgov/*/locale; do
        [ "$locale" = gridgov/locale ] || ignores+=("--ignore=$(dirname "$locale")")
    done
    DJANGO_SETTINGS_MODULE=config.settings.test "$BIN/gridgov" makemessages -l en "${ignores[@]}" >/dev/null
    po=gridgov/locale/en/LC_MESSAGES/django.po
    blank_fuzzy "$po"
    (cd gridgov/locale && msgfmt --check-format -o en/LC_MESSAGES/django.mo en/LC_MESSAGES/django.po)
    report "$po"
else
    app=$1
    [ -f "gridgov/$app/apps.py" ] || { echo "no app gridgov/$app" >&2; exit 1; }
    po=gridgov/$app/locale/en/LC_MESSAGES/django.po
    if [ ! -f "$po" ]; then  # start from the core catalogue's header (charset, plural forms), not a fuzzy template
        mkdir -p "$(dirname "$po")"
        sed -n '/^msgid ""$/,/^$/{p;/^$/q}' gridgov/locale/en/LC_MESSAGES/django.po |
            sed "1i # English translation of gridgov's $app app. How to update: gridgov/locale/README.md" >"$po"
    fi
    # Run inside the app without settings: makemessages then writes to the app's own locale/.
    (cd "gridgov/$app" && env -u DJANGO_SETTINGS_MODULE PYTHONPATH="$ROOT" "$BIN/django-admin" makemessages \
        -l en --ignore='tests/*' --ignore='tests' >/dev/null)
    blank_fuzzy "$po"
    (cd "gridgov/$app/locale" && msgfmt --check-format -o en/LC_MESSAGES/django.mo en/LC_MESSAGES/django.po)
    report "$po"
fi
