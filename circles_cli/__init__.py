"""The ``circles`` command line and the process that runs the three doors together.

It lives outside ``circles`` because it wires the doors (``bot``, ``api``, ``scheduler``)
and the domain core must not import them.
"""
