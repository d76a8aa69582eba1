"""`python -m dunningrules` and the `dunningrules` console script."""

import sys

from ._cli import run


def main() -> None:
    try:
        code = run(sys.argv[1:], sys.stdout, sys.stderr, sys.stdin)
    except KeyboardInterrupt:  # Ctrl-C: stop quietly, with the shell's code for it (128 + SIGINT)
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
