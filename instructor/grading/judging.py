"""Judging a run in the grader's process: a submission prepared as a job (``prepare``),
the driver's events sorted (``classify_events``) and judged into a NotebookResult
(``judge_run``). ``batch.grade`` is the one path that runs the jobs.

Verdicts come from ``week5.checks.judge`` applied to the answers the check cells recorded;
text a kernel printed can at most forge an answer.
"""
from dataclasses import dataclass, field
from pathlib import Path

from week5.checks import CheckResult, parse_answers

from .keyring import graded_names, hidden_cases, verdicts
from .notebooks import (CHECK_CALL_RE, GradingInputError, build_graded_notebook, expected_checks,
                        load_notebook, nbval_options, outputs_differ, _text)
from .runs import DEFAULT_CELL_TIMEOUT, DEFAULT_INTERRUPT_GRACE, DEFAULT_NOTEBOOK_TIMEOUT, build_job

__all__ = ['NotebookResult', 'Prepared', 'prepare', 'judge_run', 'classify_events']


@dataclass
class NotebookResult:
    student: str
    notebook: str
    # ok | errors | timeout | crashed | killed | unreadable | missing | unknown-notebook
    status: str
    checks: list = field(default_factory=list)
    errored_cells: list = field(default_factory=list)
    differing_cells: list = field(default_factory=list)
    seconds: float = 0.0
    note: str = ''
    isolation: str = ''
    answers: dict = field(default_factory=dict)   # check name -> the answer data judged
    rerun: str = ''    # why the run had to be run again (its worker was lost); not in the CSV
    score: dict = None  # policy.Score.as_dict(): points, lateness, hand grades (policy.score_class)

    @property
    def passed(self):
        return sum(c.passed for c in self.checks)

    @property
    def total(self):
        return len(self.checks)



def _error_summary(outputs):
    errors = [o for o in outputs if o.get('output_type') == 'error']
    if not errors:
        return 'failed'
    e = errors[-1]
    value = e['evalue'].strip().splitlines()[0] if e['evalue'].strip() else ''
    return f"{e['ename']}: {value}"[:160] if value else e['ename']


def classify_events(events, nb, labels, check_cells, cell_timeout, patterns=(), finished=True):
    """Sort the driver's events into what the report says.

    Returns a dict: ``errored`` (readable lines), ``differing`` (labels of unchanged cells
    whose output differs from the reference), ``timed_out`` and ``crashed`` (flags),
    ``cell_problem`` ({code-cell index: why it gave no answer}), ``answers`` ({check name:
    data} recorded by the check cells), ``started``. A run that `finished` (was not killed
    at the notebook timeout) without the driver's last event was cut short from inside.
    """
    errored, differing, cell_problem, answers = [], [], {}, {}
    timed_out = crashed = started = False
    for ev in events:
        kind = ev.get('event')
        if kind == 'start':
            started = True
        elif kind == 'failed':
            errored.append(f"the run could not go on: {ev.get('error', '')}")
        elif kind == 'restart':
            bad = ev.get('setup_errors') or []
            if bad:
                errored.append('after the restart the setup cells failed: '
                               + _error_summary(bad[0].get('outputs', [])))
        if kind != 'cell' or not isinstance(ev.get('cell'), int) or not 0 <= ev['cell'] < len(labels):
            continue
        i, status, outputs = ev['cell'], ev.get('status'), ev.get('outputs') or []
        label, cell = labels[i], nb.cells[i]
        if status == 'timeout':
            timed_out = True
            why = f'timed out after {cell_timeout:g} s'
            if ev.get('interrupt') == 'ignored':
                why += ' and ignored the interrupt: kernel killed, restarted with the setup cells'
            cell_problem[i] = why
            errored.append(f'{label}: {why}')
        elif status == 'dead':
            crashed = True
            code = ev.get('exit_code')
            why = (f"the kernel died after {ev.get('seconds', 0):g} s"
                   + (f' (exit code {code})' if code is not None else ''))
            cell_problem[i] = why
            errored.append(f'{label}: {why} - restarted with the setup cells')
        elif status == 'error' and not nbval_options(cell).get('check_exception'):
            cell_problem[i] = f'raised {_error_summary(outputs)}'
            errored.append(f'{label}: {_error_summary(outputs)}')
        elif status == 'ok' and cell.get('outputs') is not None and \
                cell.metadata.get('week5_grade') != 'check' and outputs_differ(outputs, cell, patterns):
            differing.append(label)
        if i in check_cells:
            called = {m.group('name') for m in CHECK_CALL_RE.finditer(cell.source)}
            text = ''.join(_text(o.get('text', '')) for o in outputs if o.get('output_type') == 'stream')
            for name, data in parse_answers(text):
                if name in called:
                    answers[name] = data
    if finished and started and not any(ev.get('event') in ('done', 'failed') for ev in events):
        errored.append('the run stopped before the end of the notebook (its driver was ended)')
    return {'errored': errored, 'differing': differing, 'timed_out': timed_out, 'crashed': crashed,
            'cell_problem': cell_problem, 'answers': answers, 'started': started}


def _missing_reason(check, nb, check_cells, reached, cell_problem, finished, notebook_timeout):
    """Why a check recorded no answer: its cell raised, timed out or was never reached."""
    cells = [i for i in sorted(check_cells)
             if check in {m.group('name') for m in CHECK_CALL_RE.finditer(nb.cells[i].source)}]
    cells = cells or sorted(check_cells)
    for i in cells:
        if i in cell_problem:
            return f'check cell {cell_problem[i]}'
    if not finished and not any(i in reached for i in cells):
        return f'not reached: notebook stopped at the {notebook_timeout:g} s timeout'
    if not any(i in reached for i in cells):
        return 'check did not run'
    return 'check recorded no answer'


@dataclass
class Prepared:
    """A submission read and turned into its graded copy, ready for a sealed run."""
    student: str
    name: str
    ref_nb: object
    nb: object
    labels: list
    check_cells: set
    job: dict


def prepare(student, student_nb, ref_path, ref_nb=None, cell_timeout=DEFAULT_CELL_TIMEOUT,
            interrupt_grace=DEFAULT_INTERRUPT_GRACE, profile='quick'):
    """A Prepared submission, or the NotebookResult of one that cannot run (missing,
    unreadable). `student_nb` is a path, its bytes, or None if not submitted."""
    name = Path(ref_path).name
    ref_nb = ref_nb if ref_nb is not None else load_notebook(ref_path)
    expected = expected_checks(ref_nb)

    def failed_all(status, reason, note=''):
        return NotebookResult(student, name, status,
                              [CheckResult(n, False, reason) for n in graded_names(expected)],
                              note=note or reason)

    if student_nb is None:
        return failed_all('missing', 'notebook not submitted')
    try:
        student_nb = load_notebook(student_nb)
    except GradingInputError as e:
        return failed_all('unreadable', 'notebook unreadable', note=f'unreadable: {e}')
    nb, labels, check_cells = build_graded_notebook(student_nb, ref_nb)
    job = build_job(nb, ref_nb, cell_timeout, interrupt_grace, profile)
    # the hidden cases travel with the job and reach the kernel only inside its sealed run
    job['hidden_cases'] = hidden_cases(expected)
    return Prepared(student, name, ref_nb, nb, labels, check_cells, job)


def judge_run(prepared, run, patterns=(), notebook_timeout=DEFAULT_NOTEBOOK_TIMEOUT):
    """The NotebookResult of a run record (``runs.run_record``): events -> verdicts."""
    nb, check_cells = prepared.nb, prepared.check_cells
    cell_timeout = prepared.job['cell_timeout']
    events, finished, stderr = run['events'], run['finished'], run.get('stderr', '')
    outcome = classify_events(events, nb, prepared.labels, check_cells, cell_timeout, patterns, finished)
    errored, differing = outcome['errored'], outcome['differing']
    answers, cell_problem = outcome['answers'], outcome['cell_problem']
    reached = {ev['cell'] for ev in events if ev.get('event') == 'cell'}
    if not outcome['started'] and finished:
        last = stderr.strip().splitlines()[-1:] or ['no output']
        errored.insert(0, f'the notebook could not start: {last[0][:200]}')
        cell_problem.update({i: 'not run: the notebook could not start' for i in check_cells})
    checks = []
    expected = expected_checks(prepared.ref_nb)
    for n in expected:
        names = graded_names([n])
        if n in answers:
            judged = verdicts(n, answers[n])
            checks += [judged[v] if v in judged else CheckResult(v, False, 'cannot be judged') for v in names]
        else:
            why = _missing_reason(n, nb, check_cells, reached, cell_problem, finished,
                                  notebook_timeout)
            checks += [CheckResult(v, False, why) for v in names]
    status = ('killed' if not finished else 'crashed' if outcome['crashed']
              else 'timeout' if outcome['timed_out'] else 'errors' if errored else 'ok')
    note = '' if finished else f'stopped after the {notebook_timeout:g} s notebook timeout'
    return NotebookResult(prepared.student, prepared.name, status, checks, errored, differing,
                          run.get('seconds', 0.0), note, run.get('isolation', ''),
                          {n: answers[n] for n in expected if n in answers})
