#!/usr/bin/python3
"""Renders a LAVA device dictionary into the device YAML lava-run takes, as a
LAVA server does (a sandboxed Jinja2 environment, trim_blocks, no autoescape),
with this directory's device-type templates (lavacore-lab-x86.jinja2) ahead of
LAVA's installed ones.

    lab/lava/render.py DICTIONARY.jinja2 [NAME=VALUE ...] > device.yaml

NAME=VALUE pairs are passed as the job context is (variables the dictionary
and templates see). Template directories searched, in order: the dictionary's
own directory, this script's directory, $LAVA_DEVICE_TYPES (colon-separated),
/etc/lava-server/dispatcher-config/device-types, /usr/share/lava-server/device-types,
/var/lib/lavacore/lava-device-types (make deps puts LAVA's templates there without lava-server).
Needs python3-jinja2 (Debian) and LAVA's base.jinja2 (lava-server, or a copy
named by $LAVA_DEVICE_TYPES).
"""
import os
import sys

from jinja2 import FileSystemLoader
from jinja2.sandbox import SandboxedEnvironment


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stderr.write(__doc__)
        return 2
    dictionary = os.path.abspath(argv[1])
    context = {}
    for arg in argv[2:]:
        name, sep, value = arg.partition("=")
        if not sep or not name.isidentifier():
            sys.stderr.write("render.py: %r is not NAME=VALUE\n" % arg)
            return 2
        context[name] = value
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.dirname(dictionary), here]
    paths += [p for p in os.environ.get("LAVA_DEVICE_TYPES", "").split(":") if p]
    paths += ["/etc/lava-server/dispatcher-config/device-types", "/usr/share/lava-server/device-types",
              "/var/lib/lavacore/lava-device-types"]
    env = SandboxedEnvironment(loader=FileSystemLoader(paths), autoescape=False, trim_blocks=True)
    sys.stdout.write(env.get_template(os.path.basename(dictionary)).render(**context))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
