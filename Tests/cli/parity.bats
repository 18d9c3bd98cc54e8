#!/usr/bin/env bats
# The remaining items of issue 22's list of runc behaviours: each runs on
# hako and on runc 1.1 (same bundle, own cgroup) and asserts the same result,
# or, where hako follows the spec instead, asserts both results and
# docs/runc-parity.md says why.

load helpers

# on WHO CMD...: the runtime WHO (hk or rc) with the bundle for it in $bundle.
on() {
    local who=$1; shift
    bundle=$B; [ "$who" = rc ] && bundle=$RB
    "$who" "$@"
}

# run_both ID: `run` in the foreground on both; statuses $hs/$rs, outputs $ho/$ro.
run_both() {
    need_runc
    runc_bundle
    run hk run --bundle "$B" "$1" </dev/null; hs=$status; ho=$output
    run rc run --bundle "$RB" "$1" </dev/null; rs=$status; ro=$output
    echo "hako: $hs $ho"; echo "runc: $rs $ro"
}

@test "an id like .foo is valid, as on runc (its keyring is _ses..foo, not a reserved .name)" {
    args true
    run_both .foo
    [ "$hs" = 0 ] && [ "$rs" = 0 ]
}
