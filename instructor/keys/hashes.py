"""Write week5/checks/hashes.json from the keys: the salted hashes that the checks of
both editions judge keyed answers with.

    python -m instructor.keys.hashes                 # regenerate (keeps each check's salt)
    python -m instructor.keys.hashes --new-salts     # regenerate with fresh salts (e.g. each term)
    python -m instructor.keys.hashes --check         # exit 1 if the file does not match the keys

Scheme: for each keyed check a random 16-byte salt; an answer is hashed as
PBKDF2-HMAC-SHA256(password = "<check name>:<canonical answer>", salt, 100,000
iterations), where the canonical answer is what the check's own ``parse`` makes of it
(a whole number in decimal, a shape's numbers joined by commas, a lower-case name). The
file holds, per check, the salt, the right answer's hash and, for each typical wrong
answer, its hash mapped to its hint. No answer appears in it in readable form.
"""
import argparse
import json
import secrets
import sys

from week5.checks import DECLARATIONS
from week5.checks.base import (HASH_FILE, HASH_ITERATIONS, HASH_SCHEME, KEYED, canonical,
                               digest)

from .answers import KEYS


def build(salts=None):
    """The hash file's content as a dict; ``salts`` ({check: hex}) are reused where given."""
    salts = salts or {}
    keyed = [name for name, check in DECLARATIONS.items() if check.kind in KEYED]
    missing = sorted(set(keyed) - set(KEYS))
    if missing:
        raise SystemExit(f'instructor/keys/answers.py has no key for {missing}: add a Key for each')
    checks = {}
    for name in keyed:
        check, key = DECLARATIONS[name], KEYS[name]
        salt = salts.get(name) or secrets.token_hex(16)

        def hashed(value):
            return digest(name, canonical(check.kind, check.parse(value)), salt)
        hints = {hashed(value): hint for value, hint in key.wrong.items()}
        if hashed(key.answer) in hints:
            raise SystemExit(f'{name}: a wrong answer of instructor/keys/answers.py equals the answer')
        checks[name] = {'salt': salt, 'answer': hashed(key.answer), 'hints': hints}
    return {'scheme': HASH_SCHEME, 'iterations': HASH_ITERATIONS, 'checks': checks}


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
