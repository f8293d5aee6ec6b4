"""Early warning (issue 17): attendance, behaviour incidents and course grades, the
ABC indicators the policy defines over them, and the flags they raise.

* ``models``: the student records (attendance days, incidents, grades) and the flags;
* ``importers``: the three file importers, services callable from a job;
* ``indicators``: the set-based computation (SQL over the whole district) that feeds the
  pure rules of ``mtss.rules.early_warning`` and stores the flags;
* ``selectors``: the dashboard's counts and drill-down lists, scoped to what a member sees.
"""
