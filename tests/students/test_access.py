"""students/access.py reaches screening's review queue without importing screening."""

from screening.models import ReviewItem
from students.access import REVIEW_IN_QUEUE


def test_the_review_statuses_in_the_queue_match_the_model():
    gone = {ReviewItem.Status.DISMISSED, ReviewItem.Status.WITHDRAWN}
    assert set(REVIEW_IN_QUEUE) == {status.value for status in ReviewItem.Status} - {s.value for s in gone}
