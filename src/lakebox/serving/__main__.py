"""``python -m lakebox.serving --path WORKSPACE``: run a workspace's inference gateway in the foreground."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from lakebox.errors import LakeboxError
from lakebox.serving.process import run_gateway
from lakebox.workspace.lookup import find_workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakebox.serving", description=__doc__)
    parser.add_argument("--path", type=Path, required=True, help="workspace folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run_gateway(find_workspace(path=args.path))
    except LakeboxError as exc:
        logging.getLogger("lakebox.serving").error("%s", exc.message)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
