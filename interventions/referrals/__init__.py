"""Special-education referrals and the evidence they carry (issue 13, item 3): the fidelity log,
the plan history and the progress data, reviewed and signed off by the role the policy names."""
