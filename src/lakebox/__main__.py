"""``python -m lakebox`` runs the CLI."""

import sys

from lakebox.cli.main import main

sys.exit(main())
