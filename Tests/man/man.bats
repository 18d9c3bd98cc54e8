#!/usr/bin/env bats
# man/: hako(8) and one page per command. Every page renders with man -l
# without groff warnings, every command of `hako --help` has one, and each
# page's SYNOPSIS is what `hako COMMAND --help` prints.

load "$BATS_TEST_DIRNAME/../helpers"

setup() { requires man groff; }

commands() { "$HAKO" --help | awk '/^commands:/ {on=1; next} /^$/ {on=0} on {print $1}'; }

@test "every page renders with man -l, without groff warnings" {
    for f in "$ROOT"/man/*.8; do
        run groff -man -ww -z "$f"
        [ "$status" -eq 0 ] && [ -z "$output" ] || { echo "$f: $output"; return 1; }
        MANWIDTH=80 man -l "$f" | grep -q '^NAME' || { echo "$f does not render"; return 1; }
    done
}

@test "every command has a page, and hako(8) lists it" {
    [ "$(commands | wc -l)" -ge 16 ]
    for c in $(commands); do
        [ -f "$ROOT/man/hako-$c.8" ] || { echo "no man/hako-$c.8"; return 1; }
        grep -q "hako\\\\-$c\\\\fR(8)" "$ROOT/man/hako.8" || { echo "hako.8 does not mention hako-$c(8)"; return 1; }
    done
}

@test "each page's SYNOPSIS is what hako COMMAND --help prints" {
    for c in $(commands); do
        page=$(MANWIDTH=1000 man -l "$ROOT/man/hako-$c.8" 2>/dev/null | awk '/^SYNOPSIS/ {getline; sub(/^ +/, ""); print; exit}')
        help=$("$HAKO" "$c" --help | head -1 | sed 's/^usage: //')
        [ "$page" = "$help" ] || { echo "$c: page \"$page\" vs --help \"$help\""; return 1; }
    done
}
