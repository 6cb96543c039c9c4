"""Reading: the files of a data folder as their publishers ship them, checked at the boundary.

Every problem is one line naming the file, the line and the column (or the configuration key) and what was
expected (:class:`~healthgap.read.tables.DataError`). Nothing here computes an indicator or words a page.
"""
