"""Check-in/check-out (CICO): a behavior plan's daily point cards.

CICO (the Behavior Education Program) is the common Tier 2 behavior intervention: the
student checks in with a mentor in the morning, carries a daily progress report on
which each teacher rates the student's goals for their period (0, 1 or 2 points),
checks out in the afternoon, and takes the card home. The daily result is the
percentage of points earned; the customary daily goal is 80 % (Crone, Hawken &
Horner, *Responding to Problem Behavior in Schools: The Behavior Education
Program*, 2nd ed., Guilford 2010; Hawken, Bundock, Kladis, O'Keeffe & Barrett 2014,
"Systematic review of the Check-in, Check-out intervention for students at risk for
emotional and behavioral disorders", Education and Treatment of Children 37(4)).

Each card's percentage is stored as a probe of the plan (on the measure the setup
names), so it is charted, evaluated by the rules engine (the behaviour decision
rule for areas of kind "behavior", RULES.md 1.0/1.5, policy
``decision_rules.behavior``) and reported like any other progress score.
"""
