"""Matplotlib figures for the reports: one function per chart, each returning a Figure.

Only this package imports matplotlib; the calculations live in the core modules.
"""
