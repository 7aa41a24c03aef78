"""Diagnosis beyond nearest times: potential accessibility, typology, poles, deficits,
scenarios and catchments. Each module reads a diagnostic's tables; none writes files."""
