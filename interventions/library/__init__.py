"""The district's intervention library: pages and the starter seed (models in interventions.models)."""
