#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# udp: a sender over its send buffer, and the trace of drops at a socket. Behind a slow
# tbf qdisc, a socket with a small SO_SNDBUF sends N datagrams without waiting: the
# sends refused with EAGAIN equal UdpSndbufErrors (Udp6SndbufErrors for IPv6) and
# kind="send_buffer", those sent equal UdpOutDatagrams. Then `osiscope trace -l udp`
# shows one udp_socket_drop event per datagram a slow reader's buffer could not take
# (UdpRcvbufErrors), with its addresses, ports and reason; diagnose names the drops.
. "$(dirname "$0")/../lib.sh"
require_root
N=60 SIZE=1000 R=40
DROPLOAD=$HELPERS/dropload

ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
ip -n "$T-cli" addr add 2001:db8::1/64 dev eth0 nodad
ip -n "$T-srv" addr add 2001:db8::2/64 dev eth0 nodad
cli=$(ns_inode cli)
srv=$(ns_inode srv)
# bytes held in the qdisc stay charged to the sender's socket: a small send buffer fills
# long before the qdisc's own limit does
nsx cli tc qdisc add dev eth0 root tbf rate 100kbit burst 1600 limit 1000000 ||
	skip "no tbf qdisc"

agent_start
scrape
sb0=$(mib cli UdpSndbufErrors) sb60=$(mib cli Udp6SndbufErrors)
out0=$(mib cli UdpOutDatagrams) out60=$(mib cli Udp6OutDatagrams)
out=$(nsx cli "$DROPLOAD" udp 192.0.2.2 9 $N $SIZE 4096)
sent=$(field sent "$out") eagain=$(field eagain "$out")
out=$(nsx cli "$DROPLOAD" udp 2001:db8::2 9 $N $SIZE 4096)
sent6=$(field sent "$out") eagain6=$(field eagain "$out")
assert_gt "$eagain" 0 "IPv4 sends refused for a full send buffer (EAGAIN)"
assert_gt "$eagain6" 0 "IPv6 sends refused for a full send buffer (EAGAIN)"
assert_eq $((sent + eagain)) $N "IPv4 sends: sent + refused"
scrape
assert_eq "$(($(mib cli UdpSndbufErrors) - sb0))" "$eagain" "UdpSndbufErrors vs the refused sends"
assert_eq "$(($(mib cli Udp6SndbufErrors) - sb60))" "$eagain6" "Udp6SndbufErrors vs the refused sends"
assert_eq "$(metric osiscope_udp_errors_total netns=$cli family=ipv4 kind=send_buffer)" "$eagain" \
	"send_buffer errors vs the refused IPv4 sends"
assert_eq "$(metric osiscope_udp_errors_total netns=$cli family=ipv6 kind=send_buffer)" "$eagain6" \
	"send_buffer errors vs the refused IPv6 sends"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$cli family=ipv4 direction=transmit)" \
	$(($(mib cli UdpOutDatagrams) - out0)) "sent datagrams vs UdpOutDatagrams"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$cli family=ipv4 direction=transmit)" "$sent" \
	"sent datagrams vs the sends that went"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$cli family=ipv6 direction=transmit)" "$sent6" \
	"sent IPv6 datagrams vs the sends that went"
agent_stop
nsx cli tc qdisc del dev eth0 root

rcv0=$(mib srv UdpRcvbufErrors)
ip netns exec "$T-srv" "$DROPLOAD" sink 192.0.2.2 5002 4096 >"$TMP/sink" &
SINK=$!
wait_udp srv 192.0.2.2:5002
trace_start "$TMP/json" -o json -l udp --netns "$srv"
out=$(nsx cli "$DROPLOAD" udp 192.0.2.2 5002 $R 200)
assert_eq "$(field sent "$out")" $R "datagrams sent to the slow reader"
for i in $(seq 50); do
	[ "$(grep -c '"type":"udp_socket_drop"' "$TMP/json")" -ge $(($(mib srv UdpRcvbufErrors) - rcv0)) ] && break
	sleep 0.1
done
trace_stop
log "first event: $(grep -m1 '"type":"udp_socket_drop"' "$TMP/json")"
kill -USR1 $SINK
wait $SINK
drops=$(($(mib srv UdpRcvbufErrors) - rcv0))
assert_gt "$drops" 0 "datagrams the slow reader's buffer could not take (UdpRcvbufErrors)"
assert_eq "$(grep -c '"type":"udp_socket_drop"' "$TMP/json")" $drops "udp_socket_drop events vs UdpRcvbufErrors"
if tracepoint_has_field udp/udp_fail_queue_rcv_skb family; then
	assert_eq "$(grep '"type":"udp_socket_drop"' "$TMP/json" | grep '"dst":"192.0.2.2:5002"' |
		grep '"src":"192.0.2.1:[1-9]' | grep -c 'reason=receive_buffer rcvbuf=')" $drops "events with addresses, ports and reason"
else # before 6.10 the tracepoint has no packet: the socket's own address and port only
	assert_eq "$(grep '"type":"udp_socket_drop"' "$TMP/json" | grep '"dst":"[^"]*:5002"' |
		grep -c 'reason=receive_buffer rcvbuf=')" $drops "events with the socket's port and reason (no packet before 6.10)"
fi
assert_eq "$(field read "$(cat "$TMP/sink")")" $((R - drops)) "datagrams read: sent less dropped"

# diagnose: a slow reader drops while it watches
ip netns exec "$T-srv" "$DROPLOAD" sink 192.0.2.2 5003 4096 >"$TMP/sink3" &
SINK=$!
wait_udp srv 192.0.2.2:5003
"$OSI_BIN" diagnose --agent off -o json --duration 5 --no-collector.tcp --no-collector.tls >"$TMP/diag" 2>"$TMP/diag.err" &
DIAG=$!
for i in $(seq 100); do
	grep -q "watching" "$TMP/diag.err" && break
	sleep 0.1
done
rcv0=$(mib srv UdpRcvbufErrors)
nsx cli "$DROPLOAD" udp 192.0.2.2 5003 $R 200 >/dev/null
wait $DIAG
assert_eq "$?" 0 "diagnose exit status"
kill -USR1 $SINK
wait $SINK
drops=$(($(mib srv UdpRcvbufErrors) - rcv0))
log "diagnose: $(jq -c '.problems[] | {layer, cause, netns, target, count, evidence}' "$TMP/diag" | tr '\n' ' ')"
first='.problems[0]'
assert_eq "$(jq -r "$first | \"\\(.layer) \\(.cause) \\(.collector)\"" "$TMP/diag")" "l4 udp_receive_buffer udp" \
	"diagnose: the first problem is the slow reader's receive buffer"
assert_eq "$(jq -r "$first | \"\\(.netns) \\(.target)\"" "$TMP/diag")" "$srv 192.0.2.2:5003" \
	"diagnose: in the server's namespace, at its port"
assert_eq "$(jq -r "$first.count" "$TMP/diag")" $drops "diagnose: datagrams dropped, as many as UdpRcvbufErrors"
assert_eq "$(jq '[.problems[] | select(.cause == "packet_drops")] | length' "$TMP/diag")" 0 \
	"diagnose: the same drops not again as packet drops"
finish
