"""Ohio's Third Grade Reading Guarantee (ORC 3313.608; RULES.md 4.5): the fall on-track /
not-on-track determination of K-3 readers and the Reading Improvement and Monitoring Plan (RIMP)."""
