"""Local format overrides (settings.FORMAT_MODULE_PATH): Django's own formats, adjusted where
the staff of a US district expect the US conventions of their language."""
