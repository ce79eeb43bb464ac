"""The seed tutorial's ``err_func``, verbatim, for any array library with ``diff`` and
``linalg.norm`` (numpy, autograd.numpy, torch): one oracle for every restore test."""


def tutorial_err_func(x, lib):
    score = 0
    for row in x:
        score += lib.linalg.norm(lib.diff(row)) + lib.linalg.norm(lib.diff(row[0::2])) + lib.linalg.norm(lib.diff(row[1::2]))
    for row in x.T:
        score += lib.linalg.norm(lib.diff(row)) + lib.linalg.norm(lib.diff(row[0::2])) + lib.linalg.norm(lib.diff(row[1::2]))
    return score
