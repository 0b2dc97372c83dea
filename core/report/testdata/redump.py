# Re-dump every record of a job log as LAVA's dispatcher dumps it
# (lava_common/log.py: dump, with lava_common/yaml.py: yaml_safe_dump) and
# report each record whose bytes differ. Usage: redump.py LOG.yaml
# Prints "ok N" when all N records are identical.
import sys

import yaml

try:
    from yaml import CSafeDumper as Dumper, CSafeLoader as Loader
except ImportError:  # LAVA falls back the same way
    from yaml import SafeDumper as Dumper, SafeLoader as Loader


def dump(data):
    s = yaml.dump(data, Dumper=Dumper, default_flow_style=True, default_style='"',
                  width=10**5, sort_keys=False)[:-1]
    if len(s) >= 10**5:
        if isinstance(data["msg"], str):
            data["msg"] = "<line way too long ...>"
        else:
            data["msg"] = {"skip": "line way too long ..."}
        s = yaml.dump(data, Dumper=Dumper, default_flow_style=True, default_style='"',
                      width=10**6, sort_keys=False)[:-1]
    return s


bad = 0
n = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for i, line in enumerate(f, 1):
        line = line.rstrip("\n")
        if not line.startswith("- "):
            print("line %d: not a record: %r" % (i, line[:200]))
            bad += 1
            continue
        n += 1
        ours = line[2:]
        data = yaml.load(ours, Loader=Loader)
        lava = dump(data)
        if lava != ours:
            bad += 1
            print("line %d differs:\n  lavacore: %s\n  LAVA:     %s" % (i, ours[:2000], lava[:2000]))
if bad:
    sys.exit(1)
print("ok %d" % n)
