"""Re-dumps YAML documents (stdin -> stdout) with indented block sequences, as the collection's
yamllint configuration wants; comments before the first document are kept."""
import sys

import yaml


class Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


text = sys.stdin.read()
head = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
docs = [d for d in yaml.safe_load_all(text) if d is not None]
sys.stdout.write(head + "".join(
    "---\n" + yaml.dump(d, Dumper=Dumper, sort_keys=False, width=100, default_flow_style=False)
    for d in docs))
