"""Exports of a run under `OUT/<trial>/<as_of>/`: the export folder and its files
(`write`), the feasibility report (`feasibility`) with small counts suppressed
(`suppression`), and the HTML pages rendered from templates (`report_html`, `templates/`)."""
