#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Writes deploy/grafana/osiscope.json: one row per OSI layer, L1 to L7, each panel a
# question an SRE on call asks. Edit here and run: scripts/gen-dashboard.py
import json
import os

SEL = 'instance=~"$instance",namespace=~"$namespace",pod=~"$pod"'
R = "$__rate_interval"


def q(expr, legend):
    return {"expr": expr, "legendFormat": legend}


def rate(metric, extra, by, legend):
    sel = SEL + ("," + extra if extra else "")
    return q(f"sum by ({by}) (rate({metric}{{{sel}}}[{R}]))", legend)


def p99(metric, extra="", by="le"):
    sel = SEL + ("," + extra if extra else "")
    return q(f"histogram_quantile(0.99, sum by ({by}) (rate({metric}_bucket{{{sel}}}[{R}])))",
             "p99")


def drops(layer):
    return ("Which pods lose packets at this layer, and why (kernel drop reasons)?",
            [rate("osiscope_skb_drops_total", f'layer="{layer}"', "namespace, pod, reason",
                  "{{namespace}}/{{pod}} {{reason}}")], "pps")


ROWS = [
    ("L1 Physical: links", "l1", [
        ("Which devices lost carrier?",
         [q(f"sum by (instance, device) (increase(osiscope_link_carrier_changes_total{{{SEL}}}[{R}]))",
            "{{instance}} {{device}}")], "short"),
        ("Which devices are down?",
         [q(f"count by (instance, namespace, pod, device) (osiscope_link_up{{{SEL}}} == 0)",
            "{{instance}} {{namespace}}/{{pod}} {{device}}")], "short"),
        ("Which devices drop or error frames?",
         [rate("osiscope_link_drops_total", "", "device, direction", "drops {{device}} {{direction}}"),
          rate("osiscope_link_errors_total", "", "device, direction", "errors {{device}} {{direction}}")],
         "pps"),
        ("Which devices hit transmit timeouts?",
         [rate("osiscope_link_tx_timeouts_total", "", "instance, device", "{{instance}} {{device}}")],
         "short"),
    ]),
    ("L2 Data link: neighbours", "l2", [
        ("Neighbour resolution failures by device",
         [rate("osiscope_neigh_resolution_failures_total", "", "namespace, pod, device, family",
               "{{namespace}}/{{pod}} {{device}} {{family}}")], "short"),
        ("ARP requests and replies by device",
         [rate("osiscope_arp_packets_total", "", "device, op", "{{device}} {{op}}")], "pps"),
        ("Which neighbours changed their link-layer address?",
         [rate("osiscope_neigh_lladdr_changes_total", "", "namespace, pod, device",
               "{{namespace}}/{{pod}} {{device}}")], "short"),
        drops("l2"),
    ]),
    ("L3 Network: routes and ICMP", "l3", [
        ("Which pods have no route (route lookup failures by kind)?",
         [rate("osiscope_route_lookup_failures_total", "", "namespace, pod, kind",
               "{{namespace}}/{{pod}} {{kind}}")], "short"),
        ("ICMP errors sent, by type and code",
         [rate("osiscope_icmp_sent_total", "", "namespace, pod, type, code",
               "{{namespace}}/{{pod}} {{type}}/{{code}}")], "pps"),
        ("ICMP errors received, by type and code",
         [rate("osiscope_icmp_received_total", "", "namespace, pod, type, code",
               "{{namespace}}/{{pod}} {{type}}/{{code}}")], "pps"),
        drops("l3"),
    ]),
    ("L4 Transport: TCP and UDP", "l4", [
        ("Which pods get refused connects?",
         [rate("osiscope_tcp_connects_total", 'result="refused"', "namespace, pod",
               "{{namespace}}/{{pod}}")], "short"),
        ("Connect results",
         [rate("osiscope_tcp_connects_total", "", "result", "{{result}}")], "short"),
        ("Which pods retransmit?",
         [rate("osiscope_tcp_retransmitted_segments_total", "", "namespace, pod",
               "{{namespace}}/{{pod}}")], "pps"),
        ("Whose listen queues overflow?",
         [rate("osiscope_tcp_listen_overflows_total", "", "namespace, pod", "{{namespace}}/{{pod}}")],
         "short"),
        ("How long do connects take (p99)?", [p99("osiscope_tcp_connect_duration_seconds")], "s"),
        ("UDP errors by kind",
         [rate("osiscope_udp_errors_total", "", "namespace, pod, kind", "{{namespace}}/{{pod}} {{kind}}")],
         "pps"),
        drops("l4"),
    ]),
    ("L5 Session: connections", "l5", [
        ("Which pods' sessions are reset by the peer?",
         [rate("osiscope_tcp_resets_received_total", "", "namespace, pod", "{{namespace}}/{{pod}}")],
         "short"),
        ("Which pods reset sessions?",
         [rate("osiscope_tcp_resets_sent_total", "", "namespace, pod", "{{namespace}}/{{pod}}")],
         "short"),
        ("How long do connections live (p99)?",
         [p99("osiscope_tcp_connection_duration_seconds")], "s"),
        ("TCP sockets by state",
         [q(f"sum by (state) (osiscope_tcp_sockets{{{SEL}}})", "{{state}}")], "short"),
    ]),
    ("L6 Presentation: TLS", "l6", [
        ("TLS handshake failures by reason",
         [rate("osiscope_tls_handshakes_total", 'result="failed"',
               "namespace, pod, container, reason",
               "{{namespace}}/{{pod}} {{container}}: {{reason}}")], "short"),
        ("Which processes make TLS handshakes?",
         [rate("osiscope_tls_handshakes_total", "", "comm, role, result",
               "{{comm}} {{role}} {{result}}")], "short"),
        ("How long do TLS handshakes take (p99)?",
         [p99("osiscope_tls_handshake_duration_seconds")], "s"),
    ]),
    ("L7 Application: DNS", "l7", [
        ("Which pods get DNS errors, by rcode?",
         [rate("osiscope_dns_responses_total", 'rcode!="NOERROR"', "namespace, pod, rcode",
               "{{namespace}}/{{pod}} {{rcode}}")], "short"),
        ("Which pods' DNS queries time out?",
         [rate("osiscope_dns_timeouts_total", "", "namespace, pod", "{{namespace}}/{{pod}}")],
         "short"),
        ("DNS queries by type",
         [rate("osiscope_dns_queries_total", "", "qtype", "{{qtype}}")], "short"),
        ("How long do DNS lookups take (p99)?",
         [p99("osiscope_dns_request_duration_seconds")], "s"),
    ]),
]


def variable(name, query, label):
    return {
        "name": name, "label": label, "type": "query",
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "query": {"query": query, "refId": name}, "definition": query,
        "refresh": 2, "includeAll": True, "multi": True, "allValue": ".*",
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "sort": 1,
    }


def main():
    panels, pid, y = [], 1, 0
    for title, layer, items in ROWS:
        panels.append({"type": "row", "id": pid, "title": title, "collapsed": False,
                       "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
        pid += 1
        y += 1
        for i, (ptitle, targets, unit) in enumerate(items):
            panels.append({
                "type": "timeseries", "id": pid, "title": ptitle,
                "datasource": {"type": "prometheus", "uid": "${datasource}"},
                "gridPos": {"h": 8, "w": 12, "x": 12 * (i % 2), "y": y + 8 * (i // 2)},
                "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
                "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
                "targets": [dict(t, refId=chr(ord("A") + k)) for k, t in enumerate(targets)],
            })
            pid += 1
        y += 8 * ((len(items) + 1) // 2)
    dash = {
        "title": "osiscope: network problems per OSI layer",
        "uid": "osiscope-layers",
        "description": "osiscope agent metrics (https://github.com/osiscope): one row per OSI "
                       "layer; namespace and pod come from the node's own files.",
        "tags": ["osiscope", "network", "kubernetes"],
        "schemaVersion": 39, "version": 1, "editable": True, "timezone": "",
        "time": {"from": "now-1h", "to": "now"}, "refresh": "30s",
        "templating": {"list": [
            {"name": "datasource", "label": "Data source", "type": "datasource",
             "query": "prometheus", "current": {}},
            variable("instance", "label_values(osiscope_build_info, instance)", "Node"),
            variable("namespace",
                     'label_values(osiscope_tcp_connects_total{instance=~"$instance"}, namespace)',
                     "Namespace"),
            variable("pod",
                     'label_values(osiscope_tcp_connects_total{instance=~"$instance",'
                     'namespace=~"$namespace"}, pod)', "Pod"),
        ]},
        "annotations": {"list": []},
        "panels": panels,
    }
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "deploy", "grafana",
                       "osiscope.json")
    with open(out, "w") as f:
        json.dump(dash, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
