"""Bank statements in the formats banks send: camt.053, CFONB 120 and MT940.

One module per format turns a file's bytes into :class:`~ledger.bank_formats.lines.BankLine`
credits; :func:`ledger.bank_statement.read_statement` detects the format and builds the
frame that lettrage reads.
"""
