"""Letter rendering: words and blocks (blocks.py), data and HTML (render.py), PDF (pdf.py)."""
