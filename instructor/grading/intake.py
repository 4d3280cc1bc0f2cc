"""Intake: a learning platform's download -> ``SUBMISSIONS/<student>/<notebook>.ipynb``.

    python -m instructor.grading collect ARCHIVE_OR_FOLDER --from canvas|moodle|classroom --out SUBMISSIONS/
    python -m instructor.grading collect ARCHIVE_OR_FOLDER --pattern REGEX --out SUBMISSIONS/

Each file of the download (a zip, or a folder) is mapped to a (student, notebook) pair by
the platform's naming scheme:

``canvas``     "Download submissions": one flat zip of
               ``{sortable name}_{user id}_{submission id}_{file name}``, with ``LATE_``
               before the user id of a late one and ``-1``, ``-2`` ... before the file's
               extension for a resubmitted file (the highest number is the latest).
``moodle``     "Download all submissions": ``{Full Name}_{participant id}_assignsubmission_file_/{file}``
               folders, or the same as a flat prefix (``..._assignsubmission_file_{file}``).
``classroom``  GitHub Classroom: one cloned repository per student,
               ``{assignment}-{username}/.../{file}`` (the assignment prefix is what all
               repositories share, or ``--assignment``).
``--pattern``  any other platform: a regular expression over the path inside the download
               with the named groups ``student`` and ``file`` (and optionally ``id``,
               ``name``, ``late``, ``attempt``).

The file name is matched to a reference notebook the way students misname them (case, a
second download's `` (1)``, Colab's ``Copy of``, an extra ``.txt``). Of several files for
the same (student, notebook) the latest attempt is graded and the others are reported.
The platform's student ids, names and lateness are kept in ``SUBMISSIONS/intake.json`` for
the gradebook (``--gradebook``) and the feedback files.

Unpacking is safe: nothing in the archive chooses where a file is written (files go only
to ``SUBMISSIONS/<student>/<reference name>``); members with absolute paths, ``..``
components, symbolic links, encryption, or beyond the size limits are reported and not
read; in a folder, symbolic links are not followed. Every file that is not placed is
reported with its reason (``--out``'s ``intake.json`` keeps the list).
"""
import difflib
import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

from week5.files import atomic_write, atomic_write_json
from .notebooks import default_reference_dir

__all__ = ['PLATFORMS', 'Placed', 'Unplaced', 'Intake', 'collect', 'read_intake', 'notebook_key',
           'MAX_FILE_BYTES', 'MAX_TOTAL_BYTES']

MAX_FILE_BYTES = 50 * 2**20     # one notebook with its outputs; larger members are reported
MAX_TOTAL_BYTES = 4 * 2**30     # the whole download, read so far
INTAKE_FILE = 'intake.json'

CANVAS_RE = re.compile(r'^(?P<name>[^_/]+)_(?:(?P<late>LATE)_)?(?P<id>\d+)_(?P<submission>\d+)_(?P<file>[^/]+)$')
MOODLE_RE = re.compile(r'^(?P<name>[^/]+?)_(?P<id>\d+)_assignsubmission_(?P<kind>file|onlinetext)_'
                       r'(?:/(?P<file>.+)|(?P<flatfile>[^/]+))$')
# a resubmitted file's suffix (Canvas' "-1", "-2"), before the extension
ATTEMPT_RE = re.compile(r'^(?P<stem>.+?)-(?P<attempt>\d{1,3})(?P<ext>\.[^.]+)$')
PLATFORMS = {'canvas': CANVAS_RE, 'moodle': MOODLE_RE, 'classroom': None}
NOISE = {'.ds_store': 'macOS folder metadata', 'thumbs.db': 'Windows thumbnail cache',
         'desktop.ini': 'Windows folder settings'}


@dataclass
class Placed:
    student: str            # the folder under SUBMISSIONS/
    notebook: str           # the reference notebook's name
    source: str             # the path inside the download
    id: str = ''            # the platform's id (Canvas user id, Moodle participant id, GitHub login)
    name: str = ''          # the platform's name for the student
    late: bool = None       # None: the platform's file names do not say
    attempt: int = 0        # resubmission number (0: the first)
    submission: str = ''    # the platform's submission id, when it has one
    submitted: str = ''     # when it was handed in (ISO 8601, UTC), as the download stores it


@dataclass
class Unplaced:
    source: str
    reason: str


@dataclass
class Intake:
    platform: str
    placed: list = field(default_factory=list)
    unplaced: list = field(default_factory=list)

    def students(self):
        """{student folder: {'id', 'name', 'notebooks': {notebook: {source, late, attempt}}}}."""
        out = {}
        for p in sorted(self.placed, key=lambda p: (p.student, p.notebook)):
            s = out.setdefault(p.student, {'id': p.id, 'name': p.name, 'notebooks': {}})
            s['notebooks'][p.notebook] = {'source': p.source, 'late': p.late, 'attempt': p.attempt,
                                          'submission': p.submission, 'submitted': p.submitted}
        return out

    def summary(self):
        """Lines for the instructor: what was placed, then every file not placed and why."""
        late = sum(bool(p.late) for p in self.placed)
        lines = [f'{self.platform}: placed {len(self.placed)} notebook(s) of '
                 f'{len({p.student for p in self.placed})} student(s)'
                 + (f', {late} late' if late else '')]
        if self.unplaced:
            lines.append(f'not placed ({len(self.unplaced)}):')
            lines += [f'  {u.source}: {u.reason}' for u in self.unplaced]
        return lines


def notebook_key(filename):
    """A file name reduced to what a student meant: no case, folders, download suffixes,
    Colab's ``Copy of`` or extra extensions (``Copy of 01_LeNet (1).ipynb.txt`` -> ``01_lenet``)."""
    key = PurePosixPath(filename).name.lower()
    while True:
        stem, dot, ext = key.rpartition('.')
        if not dot or ext not in ('ipynb', 'txt', 'json', 'bak', 'download', 'crdownload'):
            break
        key = stem
    key = re.sub(r'^(copy of |kopie von |copie de )+', '', key.strip())
    key = re.sub(r'(\s*\(\d+\)|\s*-?\s*copy(\s*\d+)?)+$', '', key.strip())
    return re.sub(r'[\s_\-]+', '_', key)


def _slug(text):
    return re.sub(r'[^A-Za-z0-9]+', '-', text).strip('-').lower() or 'student'


# ---------------------------------------------------------------- reading the download safely

def _member_problem(name, info=None):
    """Why an archive member must not be read (None: it may)."""
    if name.startswith('/') or re.match(r'^[A-Za-z]:', name):
        return 'absolute path in the archive: not unpacked'
    if '..' in PurePosixPath(name).parts:
        return 'path traversal (".." in the path): not unpacked'
    if info is not None:
        if stat.S_ISLNK(info.external_attr >> 16):
            return 'symbolic link in the archive: not followed'
        if info.flag_bits & 0x1:
            return 'encrypted member: cannot be read'
    return None


def _read_zip(path, max_file, max_total):
    """(relative path, bytes or None, reason) for every member of the zip at `path`."""
    total = 0
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ValueError(f'ARCHIVE_OR_FOLDER {str(path)!r} is not a readable zip ({e}): pass the '
                         'zip the platform gave, or the folder it was unpacked to') from None
    with zf:
        for info in zf.infolist():
            name = info.filename.replace('\\', '/')
            if info.is_dir():
                continue
            problem = _member_problem(name, info)
            if problem is None and info.file_size > max_file:
                problem = f'{info.file_size} bytes, over the {max_file}-byte limit per file'
            if problem is None and total + info.file_size > max_total:
                problem = f'the download passed its {max_total}-byte limit in all: not read'
            if problem:
                yield name, None, problem
                continue
            with zf.open(info) as f:
                data = f.read(max_file + 1)     # the header's size may lie (a zip bomb)
            if len(data) > max_file:
                yield name, None, f'unpacks to over the {max_file}-byte limit per file'
                continue
            total += len(data)
            yield name, data, None


def _read_folder(root, max_file, max_total):
    """(relative path, bytes or None, reason) for every file under `root`; links not followed."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        rel_dir = Path(dirpath).relative_to(root)
        for d in list(dirnames):
            if (Path(dirpath) / d).is_symlink():
                dirnames.remove(d)
                yield (rel_dir / d).as_posix(), None, 'symbolic link to a folder: not followed'
        dirnames.sort()
        for fname in sorted(filenames):
            path = Path(dirpath) / fname
            rel = (rel_dir / fname).as_posix()
            st = path.lstat()
            if stat.S_ISLNK(st.st_mode):
                yield rel, None, 'symbolic link: not followed'
            elif not stat.S_ISREG(st.st_mode):
                yield rel, None, 'not a regular file'
            elif st.st_size > max_file:
                yield rel, None, f'{st.st_size} bytes, over the {max_file}-byte limit per file'
            elif total + st.st_size > max_total:
                yield rel, None, f'the download passed its {max_total}-byte limit in all: not read'
            else:
                total += st.st_size
                yield rel, path.read_bytes(), None


# ---------------------------------------------------------------- naming schemes

def _commit_time(repo, path):
    """The time of the last commit that changed `path` in the git repository `repo` (a
    clone's files all carry the time of the clone), or None without git or history."""
    try:
        out = subprocess.run(['git', '-C', str(repo), 'log', '-1', '--format=%cI', '--', str(path)],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        return datetime.fromisoformat(out).astimezone(timezone.utc) if out else None
    except (OSError, ValueError, subprocess.SubprocessError):
        return None


def _member_times(source):
    """{path in the download: ISO time it was handed in} -- a zip member's time (zip stores
    no zone: read as UTC), in a cloned repository (GitHub Classroom) the time of the last
    commit that changed the file, else a file's modification time; what ``--deadline``
    compares."""
    if source.is_dir():
        times = {}
        for p in source.rglob('*'):
            if not p.is_file() or '.git' in p.relative_to(source).parts:
                continue
            repo = next((d for d in p.parents if (d / '.git').is_dir() and d.is_relative_to(source)), None)
            when = (_commit_time(repo, p.relative_to(repo))
                    if repo is not None and '.ipynb' in p.name.lower() else None) \
                or datetime.fromtimestamp(p.lstat().st_mtime, timezone.utc)
            times[p.relative_to(source).as_posix()] = when.isoformat(timespec='seconds')
        return times
    with zipfile.ZipFile(source) as zf:
        return {i.filename.replace('\\', '/'): datetime(*i.date_time, tzinfo=timezone.utc)
                .isoformat(timespec='seconds') for i in zf.infolist()}


def _close_name(key, references):
    """The reference a misnamed file most likely meant (``lenet`` -> ``01_lenet``), as a
    one-item list, or []."""
    bare = {k: re.sub(r'^\d+_', '', k) for k in references}
    same = [k for k, b in bare.items() if b == key or b.startswith(key + '_') or key.endswith('_' + b)]
    return same[:1] if len(same) == 1 else difflib.get_close_matches(key, references, n=1, cutoff=0.6)


def _classroom_prefix(paths, assignment):
    """The assignment prefix of GitHub Classroom repository folders (``vgg-week5-``)."""
    repos = sorted({PurePosixPath(p).parts[0] for p in paths if len(PurePosixPath(p).parts) > 1})
    if assignment:
        return assignment.rstrip('-') + '-'
    if len(repos) < 2:
        raise ValueError('classroom: cannot tell the assignment prefix from '
                         f'{len(repos)} repository folder(s): pass --assignment NAME '
                         '(the part before "-{username}" in the repository names)')
    prefix = os.path.commonprefix(repos)
    if '-' not in prefix:
        raise ValueError('classroom: the repository folders share no "{assignment}-" prefix '
                         f'({", ".join(repos[:3])}, ...): pass --assignment NAME')
    return prefix[:prefix.rindex('-') + 1]


def _match(platform, regex, rel, prefix):
    """The fields of a path by the naming scheme, or (None, reason)."""
    if platform == 'classroom':
        parts = PurePosixPath(rel).parts
        if len(parts) < 2 or not parts[0].startswith(prefix) or parts[0] == prefix:
            return None, f'not inside a "{prefix}{{username}}" repository folder'
        login = parts[0][len(prefix):]
        return {'student': login, 'id': login, 'name': login,
                'file': PurePosixPath(*parts[1:]).as_posix()}, None
    m = regex.match(rel if platform != 'canvas' else PurePosixPath(rel).name)
    if m is None:
        scheme = {'canvas': '{sortable name}_{user id}_{submission id}_{file}',
                  'moodle': '{Full Name}_{participant id}_assignsubmission_file_/{file}'}
        return None, f'name does not follow the {platform} scheme ' + scheme.get(platform, regex.pattern)
    g = {k: v for k, v in m.groupdict().items() if v is not None}
    if platform == 'moodle':
        if g.get('kind') == 'onlinetext':
            return None, 'Moodle online text, not a submitted file'
        g['file'] = g.get('file') or g.pop('flatfile', '')
        g['student'] = f"{_slug(g['name'])}_{g['id']}"
    elif platform == 'canvas':
        g['student'] = f"{g['name']}_{g['id']}"
        g['late'] = 'late' in g
    else:   # --pattern: the groups it has
        g['late'] = bool(g.get('late')) if 'late' in regex.groupindex else None
        g.setdefault('id', g['student'])
        g.setdefault('name', g['student'])
        g['student'] = _slug(g['student']) if not re.fullmatch(r'[\w.@-]+', g['student']) else g['student']
    return g, None


def _noise(rel):
    parts = [p.lower() for p in PurePosixPath(rel).parts]
    if '__macosx' in parts or parts[-1].startswith('._'):
        return 'macOS archive metadata (__MACOSX, ._ files)'
    if parts[-1] in NOISE:
        return NOISE[parts[-1]]
    return None


def _scheme(platform, pattern):
    """(compiled naming scheme, platform name) for ``--from`` or ``--pattern``."""
    if pattern is not None:
        try:
            regex = re.compile(pattern)
        except re.error as e:
            raise ValueError(f'--pattern {pattern!r} is not a regular expression ({e})') from None
        missing = {'student', 'file'} - set(regex.groupindex)
        if missing:
            raise ValueError(f'--pattern needs the named groups {", ".join(sorted(missing))}, e.g. '
                             r"'(?P<student>[^/]+)/(?P<file>[^/]+\.ipynb)'")
        return regex, platform or 'pattern'
    if platform not in PLATFORMS:
        raise ValueError(f'--from must be one of {", ".join(PLATFORMS)} (got {platform!r}), or '
                         'pass --pattern with named groups student and file')
    return PLATFORMS[platform], platform


def _members(source, max_file_bytes, max_total_bytes):
    """[(relative path, bytes, problem)] of the platform's zip or unpacked folder."""
    if source.is_dir():
        return list(_read_folder(source, max_file_bytes, max_total_bytes))
    if source.is_file():
        return list(_read_zip(source, max_file_bytes, max_total_bytes))
    raise ValueError(f'ARCHIVE_OR_FOLDER {str(source)!r} does not exist: pass the zip the '
                     'platform gave, or the folder it was unpacked to')


def _not_placed(fname, key, references):
    """Why a file whose name matches no reference notebook stays out (with the close name)."""
    if not fname.lower().endswith(('.ipynb', '.ipynb.txt', '.json')):
        return f'not a notebook ({PurePosixPath(fname).suffix or "no extension"})'
    close = _close_name(key, references)
    if close:
        return (f'not a notebook of this course: did you mean {references[close[0]]}? Rename '
                f'the file to {references[close[0]]} in the download and collect again')
    return f'not a notebook of this course (known: {", ".join(sorted(references.values()))})'


def _candidates(members, kind, regex, prefix, references, times, intake):
    """{(student, notebook): [(order, Placed, bytes)]} of the members that are submissions;
    the others go to ``intake.unplaced`` with the reason."""
    candidates, git_files = {}, {}
    for rel, data, problem in members:
        parts = PurePosixPath(rel).parts
        if '.git' in parts:
            repo = '/'.join(parts[:parts.index('.git') + 1])
            git_files[repo] = git_files.get(repo, 0) + 1
            continue
        fields, problem = (None, problem or _noise(rel))
        if not problem:
            fields, problem = _match(kind, regex, rel, prefix)
        if fields is None:
            intake.unplaced.append(Unplaced(rel, problem))
            continue
        fname = PurePosixPath(fields['file']).name
        if '.ipynb_checkpoints' in PurePosixPath(fields['file']).parts:
            intake.unplaced.append(Unplaced(rel, 'a Jupyter checkpoint copy (autosave), not the '
                                                 'submitted notebook'))
            continue
        attempt = int(fields['attempt']) if fields.get('attempt') else 0
        m = ATTEMPT_RE.match(fname)
        key = notebook_key(fname)
        if key not in references and m and notebook_key(m['stem'] + m['ext']) in references:
            key, attempt = notebook_key(m['stem'] + m['ext']), int(m['attempt'])
        if key not in references:
            intake.unplaced.append(Unplaced(rel, _not_placed(fname, key, references)))
            continue
        placed = Placed(fields['student'], references[key], rel, str(fields.get('id', '')),
                        str(fields.get('name', '')), fields.get('late'), attempt,
                        str(fields.get('submission', '')), times.get(rel, ''))
        order = (attempt, int(placed.submission or 0), fname == references[key])
        candidates.setdefault((placed.student, placed.notebook), []).append((order, placed, data))
    for repo, n in sorted(git_files.items()):
        intake.unplaced.append(Unplaced(repo + '/', f'git metadata ({n} files), not a submission'))
    return candidates


def _write_out(out, candidates, intake):
    """The latest attempt of each (student, notebook) to ``out``, keeping its hand-in time."""
    _prepare_out(out)
    for (student, notebook), found in sorted(candidates.items()):
        found.sort(key=lambda c: c[0])
        _, placed, data = found[-1]
        intake.placed.append(placed)
        atomic_write(out / student / notebook, data)
        if placed.submitted:    # the file keeps its hand-in time (what --deadline reads)
            stamp = datetime.fromisoformat(placed.submitted).timestamp()
            os.utime(out / student / notebook, (stamp, stamp))
        for _, older, _ in found[:-1]:
            intake.unplaced.append(Unplaced(older.source, f'an earlier submission of {notebook} '
                                                          f'(attempt {older.attempt}); graded: '
                                                          f'{placed.source}'))


def collect(source, platform=None, out=None, reference_dir=None, pattern=None, assignment=None,
            max_file_bytes=MAX_FILE_BYTES, max_total_bytes=MAX_TOTAL_BYTES):
    """Map a platform's download to ``out/<student>/<notebook>.ipynb``; returns the Intake.

    ``platform`` is ``canvas``, ``moodle`` or ``classroom``, or None with ``pattern``;
    ``reference_dir`` holds the reference notebooks whose names submissions are matched to."""
    regex, platform_name = _scheme(platform, pattern)
    source, out = Path(source), Path(out)
    members = _members(source, max_file_bytes, max_total_bytes)
    reference_dir = Path(reference_dir) if reference_dir is not None else default_reference_dir()
    references = {notebook_key(p.name): p.name for p in Path(reference_dir).glob('*.ipynb')}
    if not references:
        raise ValueError(f'--reference {str(reference_dir)!r} holds no notebooks: pass the folder '
                         'of reference notebooks the submissions are named after')
    intake = Intake(platform_name)
    kind = 'pattern' if pattern is not None else platform
    prefix = _classroom_prefix([m[0] for m in members], assignment) if kind == 'classroom' else ''
    candidates = _candidates(members, kind, regex, prefix, references, _member_times(source), intake)
    _write_out(out, candidates, intake)
    intake.unplaced.sort(key=lambda u: u.source)
    atomic_write_json(out / INTAKE_FILE, {
        'platform': intake.platform, 'source': str(source), 'students': intake.students(),
        'unplaced': [asdict(u) for u in intake.unplaced]}, indent=1)
    return intake


def _prepare_out(out):
    """`out` empty, new, or written by an earlier collect (whose student folders go)."""
    if out.exists() and not out.is_dir():
        raise ValueError(f'--out {str(out)!r} is a file: pass a folder for the submissions')
    if out.is_dir() and any(out.iterdir()):
        previous = out / INTAKE_FILE
        if not previous.is_file():
            raise ValueError(f'--out {str(out)!r} is not empty and was not written by collect: '
                             'pass a new or empty folder')
        for student in json.loads(previous.read_text(encoding='utf-8')).get('students', {}):
            shutil.rmtree(out / student, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)


def read_intake(submissions_dir):
    """The intake record collect wrote in `submissions_dir` (None if it was not collected)."""
    path = Path(submissions_dir) / INTAKE_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding='utf-8'))
