#!/usr/bin/env python3
"""Writes the host-scoped copies of openapi.yaml's engine paths: every
/api/v1/{containers,images,stacks,system,events,volumes}... path also exists as
/api/v1/hosts/{host}/..., with the host parameter and the answers a host adds
(404 unknown host, 409 archived, 503 offline). `--check` fails when the block is stale."""
import copy
import sys
from pathlib import Path

import yaml

SPEC = Path(__file__).resolve().parent.parent / "openapi.yaml"
BEGIN = "  # BEGIN host-scoped paths (scripts/openapi-hosts.py writes them from the paths above; do not edit)\n"
END = "  # END host-scoped paths\n"
PREFIXES = ("/api/v1/containers", "/api/v1/images", "/api/v1/stacks", "/api/v1/system/", "/api/v1/events", "/api/v1/volumes", "/api/v1/networks")
HOST = {"$ref": "#/components/parameters/HostName"}
ERROR = {"$ref": "#/components/responses/Error"}


def scoped_paths(spec):
    out = {}
    for path, item in spec["paths"].items():
        if not path.startswith(PREFIXES):
            continue
        copied = copy.deepcopy(item)
        for method, operation in copied.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            operation["parameters"] = [HOST] + operation.get("parameters", [])
            for status in ("404", "409", "503"):
                operation["responses"].setdefault(status, ERROR)
        out["/api/v1/hosts/{host}" + path[len("/api/v1"):]] = copied
    return out


def render(text):
    head, _, rest = text.partition(BEGIN)
    if rest:
        _, _, tail = rest.partition(END)
    else:
        head, marker, tail = text.partition("components:\n")
        tail = marker + tail
    spec = yaml.safe_load(head + tail)
    block = yaml.safe_dump(scoped_paths(spec), sort_keys=False, default_flow_style=None, width=180)
    block = "".join("  " + line + "\n" for line in block.splitlines())
    return head + BEGIN + block + END + tail


def main():
    text = SPEC.read_text()
    fresh = render(text)
    if "--check" in sys.argv:
        if fresh != text:
            sys.exit("openapi.yaml: the host-scoped paths are stale; run scripts/openapi-hosts.py")
        return
    SPEC.write_text(fresh)


if __name__ == "__main__":
    main()
