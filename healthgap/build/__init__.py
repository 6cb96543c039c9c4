"""The build: the notebooks executed by papermill (each result cached by a content hash), the page assembled,
and the output published as one unit.
"""
