"""The page: sentences, tables and charts made from the analysis, the ledger of every figure shown, and the
briefing's HTML assembled from the executed notebooks.
"""
