"""Synthetic demo data (`manage.py seed_demo`): not part of the product's core.

districts.py holds the four district specs and the generator of schools, staff,
students and guardians; interventions.py and screening.py add each app's demo
records. This app sits above every other one and may import any of them.
"""
