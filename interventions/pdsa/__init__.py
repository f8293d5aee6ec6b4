"""Plan-Do-Study-Act cycles of school teams and interventionists (LAUSD, seed 000; issue 13, item 5)."""
