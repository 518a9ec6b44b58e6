"""``python -m pollytool`` runs the ``polly`` command."""

from .cli import main

raise SystemExit(main())
