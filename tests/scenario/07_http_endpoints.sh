#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# /metrics passes promtool check metrics with no findings, has the exact text-format
# Content-Type, is gzipped only when asked, and a scrape never resets a counter;
# /-/healthy answers, unknown paths give 404 and other methods 405.
. "$(dirname "$0")/../lib.sh"
require_root
command -v promtool >/dev/null || skip "promtool not installed (Debian package prometheus)"
URL=http://127.0.0.1:$PORT

agent_start
ns_create a
a=$(ns_inode a)
# something in every kind of series: counters, gauges, histograms
nsx a "$TCPLOAD" connect 127.0.0.1 9 3 >/dev/null
nsx a "$TCPLOAD" serve 127.0.0.1 8080 5 >"$TMP/serve.out" &
for i in $(seq 50); do grep -q listening "$TMP/serve.out" 2>/dev/null && break; sleep 0.1; done
nsx a "$TCPLOAD" churn 127.0.0.1 8080 3 >/dev/null

curl -s -D "$TMP/h1" "$URL/metrics" -o "$TMP/m1"
lint=$(promtool check metrics <"$TMP/m1" 2>&1)
rc=$?
assert_eq "$rc" 0 "promtool check metrics exit status"
assert_eq "$lint" "" "promtool findings"
assert_eq "$(grep -i '^content-type:' "$TMP/h1" | tr -d '\r')" \
	"Content-Type: text/plain; version=0.0.4; charset=utf-8" "Content-Type"
assert_eq "$(grep -ci '^content-encoding:' "$TMP/h1")" 0 "no Content-Encoding unless asked"

curl -s -H 'Accept-Encoding: gzip' -D "$TMP/h2" "$URL/metrics" -o "$TMP/m2.gz"
assert_eq "$(grep -i '^content-encoding:' "$TMP/h2" | tr -d '\r')" "Content-Encoding: gzip" "Content-Encoding with Accept-Encoding: gzip"
gzip -dc "$TMP/m2.gz" >"$TMP/m2"
assert_eq "$?" 0 "gzip body decompresses"
assert_eq "$(promtool check metrics <"$TMP/m2" >/dev/null 2>&1; echo $?)" 0 "promtool on the gzipped body"
assert_eq "$(grep -c '^osiscope_build_info' "$TMP/m2")" 1 "gzipped body holds the metrics"

# counters survive scrapes
cp "$TMP/m1" "$TMP/metrics"
first=$(metric osiscope_tcp_connects_total netns=$a result=refused)
scrape
assert_eq "$first" 3 "refused connects after the first scrape"
assert_eq "$(metric osiscope_tcp_connects_total netns=$a result=refused)" 3 "refused connects after more scrapes"
assert_eq "$(metric osiscope_tcp_connects_total netns=$a result=ok)" 3 "ok connects"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
assert_eq "$(code "$URL/-/healthy")" 200 "/-/healthy"
assert_eq "$(code "$URL/-/ready")" 200 "/-/ready"
assert_eq "$(code "$URL/nope")" 404 "unknown path"
assert_eq "$(code -X POST "$URL/metrics")" 405 "POST /metrics"
assert_eq "$(code -X DELETE "$URL/-/ready")" 405 "DELETE /-/ready"
assert_eq "$(code -I "$URL/metrics")" 200 "HEAD /metrics"
assert_eq "$(curl -s -I "$URL/metrics" | grep -i '^allow' | wc -l)" 0 "no Allow header on a HEAD"
assert_eq "$(curl -s -D - -o /dev/null -X PUT "$URL/metrics" | grep -i '^allow:' | tr -d '\r')" \
	"Allow: GET, HEAD" "Allow header on 405"
finish
