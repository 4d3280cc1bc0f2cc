"""Write week5/checks/hashes.json from the keys: the salted hashes that the checks of
both editions judge keyed answers with.

    python -m instructor.keys.hashes                 # regenerate (keeps each check's salt)
    python -m instructor.keys.hashes --new-salts     # regenerate with fresh salts (e.g. each term)
    python -m instructor.keys.hashes --check         # exit 1 if the file does not match the keys

Scheme (``week5.checks.hash_file``): for each keyed check a random 16-byte salt; an answer
is hashed as PBKDF2-HMAC-SHA256(password = "<check name>:<canonical answer>", salt,
100,000 iterations), where the canonical answer is what the check's own ``parse`` makes of
it (a whole number in decimal, a shape's numbers joined by commas, a lower-case name). The
file holds, per check, the salt, the right answer's hash and each typical wrong answer's
hint, sealed with that wrong answer's hash. No answer and no hint is in it in readable form.
"""
import argparse
import json
import secrets
import sys

from week5.checks import HASH_FILE, hash_file

from .answers import KEYS


def build(salts=None):
    """The hash file's content as a dict; ``salts`` ({check: hex}) are reused where given."""
    salts = salts or {}
    try:
        return hash_file(KEYS, {name: salts.get(name) or secrets.token_hex(16) for name in KEYS})
    except ValueError as e:
        raise SystemExit(f'instructor/keys/answers.py: {e}') from None


def dumps(content):
    return json.dumps(content, indent=1, sort_keys=True) + '\n'


def committed_salts(path=HASH_FILE):
    try:
        return {n: e['salt'] for n, e in json.loads(path.read_text())['checks'].items()}
    except (OSError, ValueError, KeyError):
        return {}


def is_current(path=HASH_FILE):
    """True if ``path`` is what the keys give with its own salts."""
    return path.exists() and path.read_text(encoding='utf-8') == dumps(build(committed_salts(path)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--check', action='store_true', help='exit 1 if out of date')
    parser.add_argument('--new-salts', action='store_true', help='draw fresh salts')
    args = parser.parse_args(argv)
    if args.check:
        if is_current():
            print(f'{HASH_FILE.name} is up to date with instructor/keys/')
            return 0
        print(f'{HASH_FILE} is out of date with instructor/keys/: run `python -m instructor.keys.hashes`')
        return 1
    salts = {} if args.new_salts else committed_salts()
    HASH_FILE.write_text(dumps(build(salts)), encoding='utf-8')
    print(f'wrote {HASH_FILE}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
