"""Writes of the inspections app: plans and draws (plans.py), carrying an inspection out (carrying.py), and
rectifications with their cases and re-inspections (rectifying.py)."""
