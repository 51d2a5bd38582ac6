"""``glovec dashboard``: a web page that follows a study live and edits the search space.

``live`` (the study, incrementally), ``importance`` (PED-ANOVA), ``page`` (the HTML, also as a
static report), ``app`` (the Starlette application; needs the ``dashboard`` extra).
"""
