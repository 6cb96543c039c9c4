"""Analysis: figures with the ranges they stand for, groups and their values, gaps and their record, targets and
verdicts, projections. It returns data (frames and small dataclasses); the page layer turns them into words.
"""
