"""The reports a diagnostic produces: ``report.html`` and ``plan_report.html``.

Self-contained French pages rendered from Jinja2 templates (``templates/``, autoescaped):
``document`` orders the sections of the diagnostic report, ``overview``, ``analysis`` and
``provenance`` compute them as blocks (``blocks``), ``planning`` makes the planning
report, ``formatting`` writes every figure the French way (Babel) and ``maps`` draws the
embedded PNG maps.
"""

from proximite.report.document import render_report, write_report
from proximite.report.planning import render_planning_report, write_planning_outputs

__all__ = ["render_planning_report", "render_report", "write_planning_outputs",
           "write_report"]
