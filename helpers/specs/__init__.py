"""The specification of every graded exercise, one module per notebook (see helpers/checks/__init__.py).

In ``helpers/specs/<assignment>.py``, the function named like an exercise's function returns its
``Spec``: the cases and what each result must meet, built from the values it is given, with the values
of the visible tests as defaults. The public check cell and the locked test cell call it with the
defaults; the locked cell's hidden region calls it again with other values. Tolerances are named
constants; a hint says what to fix.
"""
