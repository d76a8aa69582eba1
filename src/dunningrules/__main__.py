"""`python -m dunningrules` and the `dunningrules` console script."""

import sys

from ._cli import run


def main() -> None:
    sys.exit(run(sys.argv[1:], sys.stdout, sys.stderr, sys.stdin))


if __name__ == "__main__":
    main()
