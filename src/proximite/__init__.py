"""Proximité: access to public services for French territories (SDAASP).

Data flows one way: sources -> store -> network -> access -> indicators -> report.
The library API is usable without the CLI, e.g.::

    from proximite.pipeline import run_diagnostic
    result = run_diagnostic()          # embedded Lozère demo
"""

__version__ = "0.1.0"
