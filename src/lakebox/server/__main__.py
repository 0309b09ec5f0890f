"""``python -m lakebox.server --path WORKSPACE``: serve a workspace in the foreground (used by `server start`)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from lakebox.errors import LakeboxError
from lakebox.runtime.sockets import DEFAULT_HOST
from lakebox.server.process import Listen, run_server
from lakebox.workspace.lookup import find_workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lakebox.server", description=__doc__)
    parser.add_argument("--path", type=Path, required=True, help="workspace folder")
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument("--tls-self-signed", action="store_true")
    parser.add_argument("--insecure", action="store_true", help="plain HTTP even beyond loopback")
    args = parser.parse_args(argv)
    listen = Listen(args.host, args.port, args.tls_cert, args.tls_key, args.tls_self_signed, args.insecure)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run_server(find_workspace(path=args.path), listen)
    except LakeboxError as exc:
        logging.getLogger("lakebox.server").error("%s", exc.message)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
