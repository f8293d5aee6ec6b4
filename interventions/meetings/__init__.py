"""Team meetings: agenda, decisions, attendance, recap and referral packet (models in interventions.models)."""
