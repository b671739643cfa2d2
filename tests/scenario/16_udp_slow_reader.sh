#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# udp: a reader too slow for its receive buffer and datagrams to closed ports, IPv4 and
# IPv6. N datagrams to a socket that reads nothing with a small SO_RCVBUF: those dropped
# equal UdpRcvbufErrors and are counted at its port; its receive queue equals ss's
# Recv-Q; what it reads afterwards is N less the dropped and equals UdpInDatagrams (the
# kernel counts a datagram in when it is read); M datagrams to a closed port equal
# UdpNoPorts. The same for IPv6 with the Udp6 counters.
. "$(dirname "$0")/../lib.sh"
require_root
N=200 N6=150 M=7 M6=5 SIZE=200
DROPLOAD=$HELPERS/dropload

agent_start
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
ip -n "$T-cli" addr add 2001:db8::1/64 dev eth0 nodad
ip -n "$T-srv" addr add 2001:db8::2/64 dev eth0 nodad
cli=$(ns_inode cli)
srv=$(ns_inode srv)

# counter NS FAMILY(Udp|Udp6) NAME...: the namespace's counters, one per line
mibs() {
	local ns=$1 p=$2
	shift 2
	for c in "$@"; do mib "$ns" "$p$c"; done | tr '\n' ' '
}
scrape # the agent's first collection: its baselines
read -r in0 rcv0 nop0 err0 csum0 <<<"$(mibs srv Udp InDatagrams RcvbufErrors NoPorts InErrors InCsumErrors)"
read -r in60 rcv60 nop60 <<<"$(mibs srv Udp6 InDatagrams RcvbufErrors NoPorts)"
out0=$(mib cli UdpOutDatagrams)
out60=$(mib cli Udp6OutDatagrams)

# not through nsx, a function: $! is then the sink itself (ip netns exec execs it)
ip netns exec "$T-srv" "$DROPLOAD" sink 192.0.2.2 5000 4096 >"$TMP/sink4" &
SINK4=$!
ip netns exec "$T-srv" "$DROPLOAD" sink 2001:db8::2 5001 4096 >"$TMP/sink6" &
SINK6=$!
wait_udp srv 192.0.2.2:5000
wait_udp srv "[2001:db8::2]:5001"

out=$(nsx cli "$DROPLOAD" udp 192.0.2.2 5000 $N $SIZE)
assert_eq "$(field sent "$out")" $N "IPv4 datagrams sent"
out=$(nsx cli "$DROPLOAD" udp 2001:db8::2 5001 $N6 $SIZE)
assert_eq "$(field sent "$out")" $N6 "IPv6 datagrams sent"
out=$(nsx cli "$DROPLOAD" udp 192.0.2.2 9999 $M $SIZE)
assert_eq "$(field sent "$out")" $M "IPv4 datagrams to a closed port sent"
out=$(nsx cli "$DROPLOAD" udp 2001:db8::2 9999 $M6 $SIZE)
assert_eq "$(field sent "$out")" $M6 "IPv6 datagrams to a closed port sent"
for i in $(seq 50); do
	read -r in rcv nop <<<"$(mibs srv Udp InDatagrams RcvbufErrors NoPorts)"
	read -r in6 rcv6 nop6 <<<"$(mibs srv Udp6 InDatagrams RcvbufErrors NoPorts)"
	q4=$(nsx srv ss -Hlun src 192.0.2.2:5000 | awk '{ print $2 }')
	q6=$(nsx srv ss -Hlun src "[2001:db8::2]:5001" | awk '{ print $2 }')
	# queued datagrams are counted in only when read: wait for the drops to settle
	[ $((nop - nop0)) -ge $M ] && [ $((nop6 - nop60)) -ge $M6 ] &&
		[ "$rcv.$q4" = "${last4:-}" ] && [ "$rcv6.$q6" = "${last6:-}" ] && break
	last4=$rcv.$q4 last6=$rcv6.$q6
	sleep 0.1
done
scrape
read -r in rcv nop err csum <<<"$(mibs srv Udp InDatagrams RcvbufErrors NoPorts InErrors InCsumErrors)"
read -r in6 rcv6 nop6 <<<"$(mibs srv Udp6 InDatagrams RcvbufErrors NoPorts)"
din=$((in - in0)) drcv=$((rcv - rcv0)) din6=$((in6 - in60)) drcv6=$((rcv6 - rcv60))

assert_gt "$drcv" 0 "IPv4 datagrams the slow reader's buffer could not take (UdpRcvbufErrors)"
assert_gt "$drcv6" 0 "IPv6 datagrams the slow reader's buffer could not take (Udp6RcvbufErrors)"
assert_eq "$din.$din6" 0.0 "UdpInDatagrams, Udp6InDatagrams before the reader reads"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$srv family=ipv4 direction=receive)" $din \
	"received datagrams vs UdpInDatagrams"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$srv family=ipv6 direction=receive)" $din6 \
	"received datagrams vs Udp6InDatagrams"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$cli family=ipv4 direction=transmit)" \
	$(($(mib cli UdpOutDatagrams) - out0)) "sent datagrams vs the client's UdpOutDatagrams"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$cli family=ipv4 direction=transmit)" $((N + M)) \
	"sent datagrams vs what the test sent"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$cli family=ipv6 direction=transmit)" $((N6 + M6)) \
	"sent IPv6 datagrams vs what the test sent"
assert_eq "$(metric osiscope_udp_errors_total netns=$srv family=ipv4 kind=receive_buffer)" $drcv \
	"receive_buffer errors vs UdpRcvbufErrors"
assert_eq "$(metric osiscope_udp_errors_total netns=$srv family=ipv6 kind=receive_buffer)" $drcv6 \
	"receive_buffer errors vs Udp6RcvbufErrors"
assert_counted "$(metric osiscope_udp_socket_drops_total netns=$srv family=ipv4 port=5000)" $drcv \
	"$(misses udp_fail_btf)" "drops at port 5000 vs UdpRcvbufErrors"
if kernel_at_least 6 5; then
	assert_counted "$(metric osiscope_udp_socket_drops_total netns=$srv family=ipv6 port=5001)" $drcv6 \
		"$(misses udp_fail_btf)" "drops at port 5001 vs Udp6RcvbufErrors"
else # no call of udp:udp_fail_queue_rcv_skb for IPv6 before 6.5: no series, and the log says so
	assert_eq "$(metric osiscope_udp_socket_drops_total netns=$srv family=ipv6 port=5001)" 0 \
		"no per-port IPv6 drops before 6.5"
	assert_eq "$(grep -c 'before 6.5 the kernel does not call udp:udp_fail_queue_rcv_skb for IPv6' "$TMP/agent.log")" 1 \
		"the agent says IPv6 drops are not counted by port before 6.5"
fi
assert_eq "$(metric osiscope_udp_errors_total netns=$srv family=ipv4 kind=no_port)" $((nop - nop0)) \
	"no_port errors vs UdpNoPorts"
assert_eq "$((nop - nop0))" $M "UdpNoPorts vs what the test sent"
assert_eq "$(metric osiscope_udp_errors_total netns=$srv family=ipv6 kind=no_port)" $M6 \
	"IPv6 no_port errors vs what the test sent"
assert_eq "$(metric osiscope_udp_errors_total netns=$srv family=ipv6 kind=no_port)" $((nop6 - nop60)) \
	"IPv6 no_port errors vs Udp6NoPorts"
assert_eq "$(metric osiscope_udp_errors_total netns=$srv family=ipv4 kind=other)" \
	$((err - err0 - drcv - (csum - csum0))) "other errors vs the rest of UdpInErrors"
assert_eq "$(metric osiscope_udp_errors_total netns=$srv family=ipv4 kind=checksum)" $((csum - csum0)) \
	"checksum errors vs UdpInCsumErrors"
assert_gt "$q4" 0 "ss Recv-Q of the slow IPv4 reader"
assert_eq "$(metric osiscope_udp_receive_queue_bytes netns=$srv family=ipv4 port=5000)" "$q4" \
	"receive queue of port 5000 vs ss Recv-Q"
assert_eq "$(metric osiscope_udp_receive_queue_bytes netns=$srv family=ipv6 port=5001)" "$q6" \
	"receive queue of port 5001 vs ss Recv-Q"

kill -USR1 $SINK4 $SINK6
wait $SINK4 $SINK6
read4=$(field read "$(cat "$TMP/sink4")")
read6=$(field read "$(cat "$TMP/sink6")")
assert_eq "$read4" $((N - drcv)) "datagrams the IPv4 reader read: sent less dropped"
assert_eq "$read6" $((N6 - drcv6)) "datagrams the IPv6 reader read: sent less dropped"
scrape
assert_eq "$(($(mib srv UdpInDatagrams) - in0))" "$read4" "UdpInDatagrams vs what the reader read"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$srv family=ipv4 direction=receive)" "$read4" \
	"received datagrams vs what the reader read"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$srv family=ipv6 direction=receive)" \
	$(($(mib srv Udp6InDatagrams) - in60)) "received IPv6 datagrams vs Udp6InDatagrams"
assert_eq "$(metric osiscope_udp_datagrams_total netns=$srv family=ipv6 direction=receive)" "$read6" \
	"received IPv6 datagrams vs what the reader read"
assert_eq "$(metric osiscope_udp_receive_queue_bytes netns=$srv port=5000)" 0 \
	"no receive queue shown once read"
finish
