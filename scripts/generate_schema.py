"""Regenerate schemas/ruleset.schema.json from the pydantic models.

    python scripts/generate_schema.py          # rewrite the file
    python scripts/generate_schema.py --check  # exit 1 if it is out of date

tests/test_schema.py runs the check, so the published schema and the models
cannot drift apart.
"""

import sys
from pathlib import Path

from dunningrules._schema import schema_text

TARGET = Path(__file__).resolve().parent.parent / "schemas" / "ruleset.schema.json"


def main(argv: list[str]) -> int:
    text = schema_text()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is out of date: run python scripts/generate_schema.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
