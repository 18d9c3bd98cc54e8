#!/usr/bin/env bats
# The release binary's layout, which sets every command's peak RSS
# (bench/RESULTS.md): static, linked by lld, with hako's functions laid out
# in the order Sources/hako/hako.order gives (scripts/hot-functions/order).

load "$BATS_TEST_DIRNAME/../helpers"

setup() {
    ORDER=$ROOT/Sources/hako/hako.order
    requires nm readelf
    # By address: a function's line number is its rank in the text.
    nm -n "$HAKO" | awk '$2 ~ /^[tTwW]$/ { print $1, $3 }' > "$BATS_TEST_TMPDIR/functions"
}

@test "the binary is static and linked by lld" {
    run readelf -lW "$HAKO"
    [ "$status" -eq 0 ]
    ! echo "$output" | grep -q INTERP || { echo "$HAKO has a dynamic loader"; return 1; }
    readelf -p .comment "$HAKO" | grep -q LLD || { echo "$HAKO was not linked by lld"; return 1; }
}

@test "hako.order is not stale: at least 90% of its functions exist" {
    total=$(wc -l < "$ORDER")
    [ "$total" -ge 500 ] || { echo "only $total functions in $ORDER"; return 1; }
    found=$(awk 'NR == FNR { have[$2] = 1; next } ($0 in have)' "$BATS_TEST_TMPDIR/functions" "$ORDER" | wc -l)
    echo "$found of $total functions of hako.order are in the binary"
    [ $((found * 100)) -ge $((total * 90)) ] || { echo "re-run scripts/hot-functions/order"; return 1; }
}

@test "the functions lie in hako.order's order" {
    # Consecutive functions of the list at rising addresses: ~50% if the
    # order were ignored. The standard library's one large section, placed
    # where its first function is listed, and aliases account for the rest.
    run awk 'NR == FNR { if (!($2 in addr)) addr[$2] = FNR; next }
             ($0 in addr) { if (n++ && addr[$0] > last) up++; last = addr[$0] }
             END { printf "%d %d\n", up, n - 1 }' "$BATS_TEST_TMPDIR/functions" "$ORDER"
    set -- $output
    echo "$1 of $2 consecutive pairs in order"
    [ $(($1 * 100)) -ge $(($2 * 75)) ]
}
