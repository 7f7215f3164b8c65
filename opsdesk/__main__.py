"""The `opsdesk` console script: a front for Django's management commands (L5)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsdesk.config.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line([sys.argv[0], *sys.argv[1:]])
    except ImproperlyConfigured as exc:  # e.g. no OPSDESK_SECRET_KEY: a message, not a traceback
        sys.stderr.write(f"opsdesk: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
