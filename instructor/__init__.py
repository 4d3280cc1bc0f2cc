"""The instructor's edition of week5: everything students must not have, beside the
``week5`` package they install (installed in the instructor's checkout only; the release
never copies it).

``grading``  the grader: ``python -m instructor.grading SUBMISSIONS_DIR`` (sealed runs,
             judging with the keys, reports, gradebooks, feedback, Dask)
``keys``     expected answers, typical wrong answers with their hints, hidden tests;
             ``python -m instructor.keys.hashes`` writes week5/checks/hashes.json
``sources``  notebooks/src/*.nbsrc <-> notebooks/*.ipynb (``python -m instructor.sources``)
``release``  the student edition into dist/student (``python -m instructor.release``)

Nothing is imported here: the grader's driver imports this package inside every sealed
run, where the keys are not even mounted.
"""
