"""Shared kit for every service: typed errors, clock, exact amounts, settings, the app template.

Only pure-Python modules live at this level (errors, clock, amounts) so that a service's ``domain/``
may import them without pulling in a framework.
"""
