#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Structure of deploy/grafana/osiscope.json: valid JSON; one row per OSI layer, L1 to L7,
in that order, each with panels; variables datasource, instance, namespace and pod; every
panel's queries use the Prometheus data source variable and filter by $instance, and
those on per-namespace series by $namespace and $pod. With --exprs, prints each query with
the variables replaced (one per line, "PANEL<TAB>EXPR"), for the query check against a
real Prometheus."""
import json
import re
import sys


def main():
    path = sys.argv[1]
    exprs = "--exprs" in sys.argv
    d = json.load(open(path))
    errs = []
    names = [v.get("name") for v in d.get("templating", {}).get("list", [])]
    for want in ("datasource", "instance", "namespace", "pod"):
        if want not in names:
            errs.append(f"no variable {want}")
    rows, cur, out = [], None, []
    for p in d.get("panels", []):
        if p.get("type") == "row":
            cur = [p.get("title", ""), 0]
            rows.append(cur)
            continue
        if cur is None:
            errs.append(f"panel {p.get('title')!r} before the first row")
            continue
        cur[1] += 1
        if p.get("datasource", {}).get("uid") != "${datasource}":
            errs.append(f"panel {p.get('title')!r}: not on the $datasource variable")
        targets = p.get("targets") or []
        if not targets:
            errs.append(f"panel {p.get('title')!r}: no query")
        for t in targets:
            e = t.get("expr", "")
            if '$instance' not in e:
                errs.append(f"panel {p.get('title')!r}: query not filtered by $instance")
            if not ('namespace=~"$namespace"' in e and 'pod=~"$pod"' in e):
                errs.append(f"panel {p.get('title')!r}: query not filtered by $namespace/$pod")
            e = (e.replace("$__rate_interval", "1m").replace("$instance", ".*")
                 .replace("$namespace", ".*").replace("$pod", ".*"))
            out.append(f"{p.get('title')}\t{e}")
    layers = [re.match(r"^L([1-7])\b", t) for t, _ in rows]
    got = [int(m.group(1)) if m else None for m in layers]
    if got != list(range(1, 8)):
        errs.append(f"rows {[t for t, _ in rows]}: want L1 to L7, in that order")
    for t, n in rows:
        if n == 0:
            errs.append(f"row {t!r} has no panel")
    for e in errs:
        print(f"grafana_check: {e}", file=sys.stderr)
    if errs:
        return 1
    if exprs:
        print("\n".join(out))
    else:
        print(f"grafana_check: {len(rows)} rows L1..L7, {len(out)} queries, variables "
              + ", ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
