"""What the tests and the benchmarks both build on: real servers on 127.0.0.1 (HTTP, SMTP, IMAP),
office files and mail messages built to order, the hostile workbooks.

Installed with the project (``pip install -e .``), so that ``tests/`` and ``bench/`` import it as
any other package: nobody edits ``sys.path``, and nothing imports ``tests/``.
"""
