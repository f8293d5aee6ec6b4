"""Check that the lock files hold every version pyproject.toml pins.

Usage: check_lock.py pyproject.toml requirements/lock.txt requirements/dev-lock.txt

The first lock must hold the project's dependencies, the second those and the `dev`
extra. A pin changed in pyproject.toml without `make lock` would otherwise install
the old version silently; this names the package and says what to run. Offline: it
compares text, it does not resolve.
"""

import re
import sys
import tomllib
from pathlib import Path

PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([^\s;\\]+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(lines) -> dict[str, str]:
    found = {}
    for line in lines:
        match = PIN.match(line)
        if match:
            found[normalise(match.group(1))] = match.group(2)
    return found


def missing(wanted: list[str], lock: Path) -> list[str]:
    locked = pins(lock.read_text(encoding="utf-8").splitlines())
    problems = []
    for requirement in wanted:
        match = PIN.match(requirement)
        if not match:
            problems.append(f"{requirement!r} in pyproject.toml is not pinned with ==")
            continue
        name, version = normalise(match.group(1)), match.group(2)
        if locked.get(name) != version:
            problems.append(f"{name}=={version} (the lock has {locked.get(name, 'nothing')})")
    return problems


def main(argv: list[str]) -> int:
    pyproject, lock, dev_lock = (Path(arg) for arg in argv)
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    prod = project["dependencies"]
    dev = project.get("optional-dependencies", {}).get("dev", [])
    problems = [f"{lock}: {p}" for p in missing(prod, lock)]
    problems += [f"{dev_lock}: {p}" for p in missing(prod + dev, dev_lock)]
    if problems:
        print("The lock files do not match pyproject.toml; run `make lock` and commit them:", file=sys.stderr)
        for problem in problems:
            print("  " + problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
