#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    if sys.argv[1:2] == ["demo"]:
        # The demo is a tour on a laptop: debug mode unless the environment says otherwise,
        # and a .env with keys of its own, written before the settings read it, so that what
        # the demo encrypts is readable by every later command. Production never runs this.
        from dashboard.envfile import write_laptop_env

        write_laptop_env()
        os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
