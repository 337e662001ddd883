#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, investment platform team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: fleet_probe
short_description: Measure reachability and round-trip time to other hosts by TCP connect
version_added: 0.1.0
author: investment platform team (!UNKNOWN)
description:
  - From the target host, opens TCP connections to each of O(targets) on its ports, O(count)
    times, and reports whether the peer answered and how long the connect took. Changes nothing.
  - A TCP connect takes one round trip (SYN, SYN-ACK), so its time is the network round-trip time
    (plus the peer's accept latency). A refused connection also answers and is timed; only a
    timeout or a routing error makes a port unreachable.
  - Needs no ICMP and no ping binary, so it works in containers and through cloud security lists
    that allow the application's ports.
options:
  targets:
    description:
      - Peers to probe. A string C(host) or C(host:port), or a dict with C(host), optional C(name)
        (default the host) and optional C(ports) (a list, default O(ports)).
    type: list
    elements: raw
    required: true
  ports:
    description: Ports probed on targets that name none.
    type: list
    elements: int
    default: [22]
  count:
    description: Connects per target and port; the reported time is their median.
    type: int
    default: 3
  timeout:
    description: Seconds to wait for each connect.
    type: float
    default: 2.0
attributes:
  check_mode:
    support: full
    description: Read only; check mode probes the same way.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  platform:
    support: full
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Round trip from this host to the other hosts' public IPs, on SSH and PostgreSQL
  investment.orchestration.fleet_probe:
    targets: >-
      {{ groups['fleet'] | difference([inventory_hostname])
         | map('extract', hostvars) | map(attribute='fleet_public_ip') | list }}
    ports: [22, 5432]
  register: probe

- name: Named targets with their own ports
  investment.orchestration.fleet_probe:
    targets:
      - {name: oracle1, host: 192.0.2.11, ports: [5432, 6379]}
      - 192.0.2.12:443
    count: 5
    timeout: 1.5
"""

RETURN = r"""
peers:
  description: Target name to C(host), C(reachable) (any port answered), C(rtt_ms) (median
    time of the first open port in the order given, else of the first refused one; null when
    none answered), C(port) (the port of that time) and
    C(ports) (port to C(state) open/refused/timeout/error, C(reachable), C(attempts),
    C(answered), C(rtt_ms), C(rtt_min_ms), C(rtt_max_ms), C(errors)).
  returned: always
  type: dict
  sample:
    oracle1:
      host: 192.0.2.11
      reachable: true
      rtt_ms: 31.2
      port: 5432
      ports:
        "5432": {state: open, reachable: true, attempts: 3, answered: 3, rtt_ms: 31.2,
                 rtt_min_ms: 30.9, rtt_max_ms: 33.0, errors: []}
unreachable:
  description: Names of the targets where no port answered.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.investment.orchestration.plugins.module_utils.probe import probe


def main():
    module = AnsibleModule(
        argument_spec=dict(
            targets=dict(type="list", elements="raw", required=True),
            ports=dict(type="list", elements="int", default=[22]),
            count=dict(type="int", default=3),
            timeout=dict(type="float", default=2.0),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        results = probe(p["targets"], p["ports"], p["count"], p["timeout"])
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, peers=results,
                     unreachable=sorted(n for n, r in results.items() if not r["reachable"]))


if __name__ == "__main__":
    main()
