"""Spanish as US school staff write it (CLDR es_US): Django's Spanish date formats and names
("7 de septiembre de 2026"), but a decimal point, a comma between thousands and weeks from
Sunday, as in the United States and Mexico. The rules engine's explanations write numbers
with a decimal point ("12.4 semanas"), so a page never mixes "12,4" and "12.4"; number inputs
filled from template values stay valid too (a browser's <input type="number"> refuses "12,4").
"""

from django.conf.locale.es.formats import *  # noqa: F403 - extend Django's Spanish formats

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
FIRST_DAY_OF_WEEK = 0  # Sunday
