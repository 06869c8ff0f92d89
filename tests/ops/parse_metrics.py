"""Parses Prometheus text exposition from stdin with the Prometheus project's own Python parser
(Debian's python3-prometheus-client), independently of the code that wrote it, and prints the
metric families as JSON: [{name, type, documentation, samples: [{name, labels, value}]}]."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def number(value):
    return "+Inf" if value == math.inf else value


families = [
    {
        "name": family.name,
        "type": family.type,
        "documentation": family.documentation,
        "samples": [
            {"name": s.name, "labels": s.labels, "value": number(s.value)} for s in family.samples
        ],
    }
    for family in text_string_to_metric_families(sys.stdin.read())
]
json.dump(families, sys.stdout)
