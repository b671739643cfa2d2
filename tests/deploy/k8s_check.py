#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Offline check of rendered Kubernetes manifests (kubectl kustomize output on stdin or a
file), with no API server: each object against a schema of the API fields osiscope's
manifests may use (types, enums, required fields, and no unknown field: a typo such as
hostPid fails), then what makes the DaemonSet work as meant (selectors match, mounts name
volumes and are read-only, probes name a container port, capabilities instead of
privileged, requests below limits, a Service and PodMonitor that select the agent's pods
and honour its labels). The schemas follow the Kubernetes API reference (apps/v1, v1) and
the Prometheus Operator's monitoring.coreos.com/v1 PodMonitor; they cover a subset of
each type, so a valid field osiscope does not use is refused too."""
import re
import sys

import yaml

QTY = re.compile(r"^([0-9]+(\.[0-9]+)?)(m|k|Ki|Mi|Gi|Ti|M|G|T)?$")
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DURATION = re.compile(r"^([0-9]+(ms|s|m|h))+$")

S, I, B = "string", "int", "bool"


def obj(props, required=()):
    return {"props": props, "required": set(required)}


def lst(item):
    return {"list": item}


def enum(*v):
    return {"enum": set(v)}


MAP = {"map": S}
META = obj({"name": S, "namespace": S, "labels": MAP, "annotations": MAP}, ["name"])
SELECTOR = obj({"matchLabels": MAP})
PROBE = obj({"httpGet": obj({"path": S, "port": "intorstring", "scheme": enum("HTTP", "HTTPS")},
                            ["port"]),
             "initialDelaySeconds": I, "periodSeconds": I, "timeoutSeconds": I,
             "failureThreshold": I, "successThreshold": I})
CONTAINER = obj({
    "name": S, "image": S, "imagePullPolicy": enum("Always", "IfNotPresent", "Never"),
    "args": lst(S), "command": lst(S),
    "env": lst(obj({"name": S, "value": S}, ["name"])),
    "ports": lst(obj({"name": S, "containerPort": I, "protocol": enum("TCP", "UDP", "SCTP")},
                     ["containerPort"])),
    "readinessProbe": PROBE, "livenessProbe": PROBE,
    "resources": obj({"requests": {"map": "quantity"}, "limits": {"map": "quantity"}}),
    "securityContext": obj({"privileged": B, "allowPrivilegeEscalation": B,
                            "readOnlyRootFilesystem": B, "runAsUser": I, "runAsNonRoot": B,
                            "capabilities": obj({"add": lst(S), "drop": lst(S)})}),
    "volumeMounts": lst(obj({"name": S, "mountPath": S, "readOnly": B}, ["name", "mountPath"])),
}, ["name", "image"])
HOSTPATH_TYPES = enum("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket",
                      "CharDevice", "BlockDevice")
POD_SPEC = obj({
    "serviceAccountName": S, "automountServiceAccountToken": B, "hostPID": B,
    "hostNetwork": B, "dnsPolicy": enum("ClusterFirst", "ClusterFirstWithHostNet", "Default",
                                         "None"),
    "priorityClassName": S, "terminationGracePeriodSeconds": I, "nodeSelector": MAP,
    "tolerations": lst(obj({"key": S, "operator": enum("Exists", "Equal"), "value": S,
                            "effect": enum("NoSchedule", "PreferNoSchedule", "NoExecute"),
                            "tolerationSeconds": I})),
    "containers": lst(CONTAINER),
    "volumes": lst(obj({"name": S, "hostPath": obj({"path": S, "type": HOSTPATH_TYPES},
                                                    ["path"])}, ["name"])),
}, ["containers"])
KINDS = {
    ("v1", "Namespace"): obj({"apiVersion": S, "kind": S, "metadata": META},
                             ["apiVersion", "kind", "metadata"]),
    ("v1", "ServiceAccount"): obj({"apiVersion": S, "kind": S, "metadata": META,
                                   "automountServiceAccountToken": B},
                                  ["apiVersion", "kind", "metadata"]),
    ("v1", "Service"): obj({"apiVersion": S, "kind": S, "metadata": META, "spec": obj({
        "clusterIP": S, "type": enum("ClusterIP", "NodePort", "LoadBalancer"),
        "selector": MAP,
        "ports": lst(obj({"name": S, "port": I, "targetPort": "intorstring",
                          "protocol": enum("TCP", "UDP", "SCTP")}, ["port"]))})},
        ["apiVersion", "kind", "metadata", "spec"]),
    ("apps/v1", "DaemonSet"): obj({"apiVersion": S, "kind": S, "metadata": META, "spec": obj({
        "selector": SELECTOR,
        "updateStrategy": obj({"type": enum("RollingUpdate", "OnDelete"),
                               "rollingUpdate": obj({"maxUnavailable": "intorstring",
                                                     "maxSurge": "intorstring"})}),
        "template": obj({"metadata": obj({"labels": MAP, "annotations": MAP}),
                         "spec": POD_SPEC}, ["spec"])}, ["selector", "template"])},
        ["apiVersion", "kind", "metadata", "spec"]),
    ("monitoring.coreos.com/v1", "PodMonitor"): obj({
        "apiVersion": S, "kind": S, "metadata": META, "spec": obj({
            "selector": SELECTOR,
            "namespaceSelector": obj({"matchNames": lst(S), "any": B}),
            "podMetricsEndpoints": lst(obj({
                "port": S, "path": S, "interval": "duration", "scrapeTimeout": "duration",
                "honorLabels": B,
                "relabelings": lst(obj({"sourceLabels": lst(S), "targetLabel": S, "regex": S,
                                        "replacement": S,
                                        "action": enum("replace", "keep", "drop",
                                                       "labelmap", "labeldrop")}))}))},
            ["selector", "podMetricsEndpoints"])},
        ["apiVersion", "kind", "metadata", "spec"]),
}
CAPS = {"BPF", "PERFMON", "NET_ADMIN", "SYS_ADMIN", "SYS_PTRACE", "SYS_RESOURCE",
        "DAC_READ_SEARCH"}

errors = []


def err(where, msg):
    errors.append(f"{where}: {msg}")


def check(v, sch, where):
    if isinstance(sch, str):
        ok = {"string": isinstance(v, str),
              "int": isinstance(v, int) and not isinstance(v, bool),
              "bool": isinstance(v, bool),
              "intorstring": isinstance(v, (int, str)) and not isinstance(v, bool),
              "quantity": isinstance(v, (int, str)) and bool(QTY.match(str(v))),
              "duration": isinstance(v, str) and bool(DURATION.match(v))}[sch]
        if not ok:
            err(where, f"want {sch}, got {v!r}")
    elif "enum" in sch:
        if v not in sch["enum"]:
            err(where, f"{v!r} is not one of {sorted(sch['enum'])}")
    elif "list" in sch:
        if not isinstance(v, list):
            return err(where, "want a list")
        for i, x in enumerate(v):
            check(x, sch["list"], f"{where}[{i}]")
    elif "map" in sch:
        if not isinstance(v, dict):
            return err(where, "want a map")
        for k, x in v.items():
            check(x, sch["map"], f"{where}.{k}")
    else:
        if not isinstance(v, dict):
            return err(where, "want an object")
        for k in sch["required"] - v.keys():
            err(where, f"missing required field {k}")
        for k, x in v.items():
            if k not in sch["props"]:
                err(where, f"unknown field {k}")
            else:
                check(x, sch["props"][k], f"{where}.{k}")


def mib(q):
    m = QTY.match(str(q))
    n = float(m.group(1))
    return n * {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "k": 1e3 / 2**20, "M": 1e6 / 2**20,
                "G": 1e9 / 2**20, None: 1 / 2**20}.get(m.group(3), 1)


def semantics(objs):
    by = {}
    for o in objs:
        by.setdefault(o.get("kind"), []).append(o)
        name = o.get("metadata", {}).get("name", "")
        if not NAME.match(name):
            err(o.get("kind"), f"name {name!r} is not a DNS label")
        if o.get("kind") != "Namespace" and o["metadata"].get("namespace") != "osiscope":
            err(f"{o.get('kind')}/{name}", "not in namespace osiscope")
    for kind in ("Namespace", "ServiceAccount", "DaemonSet", "Service", "PodMonitor"):
        if len(by.get(kind, [])) != 1:
            err(kind, f"want exactly one, got {len(by.get(kind, []))}")
    if errors:
        return
    ds = by["DaemonSet"][0]
    tmpl = ds["spec"]["template"]
    labels = tmpl.get("metadata", {}).get("labels", {})
    spec = tmpl["spec"]
    sel = ds["spec"]["selector"].get("matchLabels", {})
    if not sel or any(labels.get(k) != v for k, v in sel.items()):
        err("DaemonSet", "selector.matchLabels do not select the template's labels")
    if not spec.get("hostPID"):
        err("DaemonSet", "hostPID must be true (every process's namespaces and cgroups)")
    if spec.get("serviceAccountName") != by["ServiceAccount"][0]["metadata"]["name"]:
        err("DaemonSet", "serviceAccountName is not the ServiceAccount's")
    if not any(t.get("operator") == "Exists" and "key" not in t for t in spec.get("tolerations", [])):
        err("DaemonSet", "no toleration of every taint: not on every node")
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    ports = set()
    for c in spec["containers"]:
        where = f"DaemonSet container {c['name']}"
        ports |= {p.get("name") for p in c.get("ports", [])}
        sc = c.get("securityContext", {})
        if sc.get("privileged"):
            err(where, "privileged: list capabilities instead")
        add = set(sc.get("capabilities", {}).get("add", []))
        if not add or add - CAPS:
            err(where, f"capabilities {sorted(add)}: want a subset of {sorted(CAPS)}")
        for m in c.get("volumeMounts", []):
            if m["name"] not in vols:
                err(where, f"volumeMount {m['name']} names no volume")
            elif "hostPath" in vols[m["name"]] and not m.get("readOnly"):
                err(where, f"host mount {m['mountPath']} is not read-only")
        for probe, path in (("readinessProbe", "/-/ready"), ("livenessProbe", "/-/healthy")):
            g = c.get(probe, {}).get("httpGet")
            if not g or g.get("path") != path:
                err(where, f"{probe} must GET {path}")
            elif isinstance(g["port"], str) and g["port"] not in ports:
                err(where, f"{probe} port {g['port']} names no container port")
        res = c.get("resources", {})
        req, lim = res.get("requests", {}), res.get("limits", {})
        if "memory" not in req or "memory" not in lim or mib(req["memory"]) > mib(lim["memory"]):
            err(where, "memory request missing, or above the limit")
        if "cpu" not in req:
            err(where, "no cpu request")
    for m in ("/var/log", "/sys/fs/cgroup", "/sys/kernel/tracing"):
        if not any(x["mountPath"] == m for c in spec["containers"] for x in c.get("volumeMounts", [])):
            err("DaemonSet", f"no mount of {m}")
    svc = by["Service"][0]["spec"]
    if any(labels.get(k) != v for k, v in svc.get("selector", {}).items()) or not svc.get("selector"):
        err("Service", "selector does not select the DaemonSet's pods")
    for p in svc["ports"]:
        if isinstance(p.get("targetPort"), str) and p["targetPort"] not in ports:
            err("Service", f"targetPort {p['targetPort']} names no container port")
    pm = by["PodMonitor"][0]["spec"]
    if any(labels.get(k) != v for k, v in pm["selector"].get("matchLabels", {}).items()):
        err("PodMonitor", "selector does not select the DaemonSet's pods")
    for e in pm["podMetricsEndpoints"]:
        if e.get("port") not in ports:
            err("PodMonitor", f"port {e.get('port')} names no container port")
        if e.get("honorLabels") is not True:
            err("PodMonitor", "honorLabels must be true: the metrics' namespace/pod labels win")


def main():
    text = open(sys.argv[1]).read() if len(sys.argv) > 1 else sys.stdin.read()
    objs = [o for o in yaml.safe_load_all(text) if o]
    for i, o in enumerate(objs):
        key = (o.get("apiVersion"), o.get("kind"))
        if key not in KINDS:
            err(f"object {i}", f"unexpected {key}")
            continue
        check(o, KINDS[key], f"{o['kind']}/{o.get('metadata', {}).get('name', '?')}")
    if not errors:
        semantics(objs)
    for e in errors:
        print(f"k8s_check: {e}", file=sys.stderr)
    if errors:
        return 1
    print(f"k8s_check: {len(objs)} objects valid: " + ", ".join(o["kind"] for o in objs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
