#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# N connects to a closed port -> N resets sent by the server's namespace (equal to its
# TcpOutRsts delta), N resets received and N refused connects in the client's.
. "$(dirname "$0")/../lib.sh"
require_root
N=7

agent_start
ns_create cli srv
ns_link cli srv 192.0.2.1 192.0.2.2
cli=$(ns_inode cli)
srv=$(ns_inode srv)
rsts0=$(mib srv TcpOutRsts)

out=$(nsx cli "$TCPLOAD" connect 192.0.2.2 9 $N)
assert_eq "$(field refused "$out")" $N "refused connects seen by the client itself"

scrape
rsts=$(($(mib srv TcpOutRsts) - rsts0))
assert_eq "$rsts" $N "kernel TcpOutRsts delta in the server namespace"
assert_eq "$(metric osiscope_tcp_resets_sent_total netns=$srv)" "$rsts" "resets sent (server netns)"
assert_eq "$(metric osiscope_tcp_resets_received_total netns=$cli)" $N "resets received (client netns)"
assert_eq "$(metric osiscope_tcp_connects_total netns=$cli result=refused)" $N "refused connects (client netns)"
assert_eq "$(metric osiscope_tcp_connects_total netns=$cli result=ok)" 0 "ok connects (client netns)"
assert_eq "$(metric osiscope_tcp_resets_sent_total netns=$cli)" 0 "resets sent (client netns)"
finish
