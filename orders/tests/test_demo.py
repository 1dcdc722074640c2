import io

import pytest
from django.contrib.auth import get_user_model

from orders import demo
from orders.models import SavedView
from orders.saved_views import saved_views_for

pytestmark = pytest.mark.django_db


def test_the_demo_staff_and_their_saved_views_can_be_loaded_twice():
    for _ in range(2):
        demo.seed_users(stdout=io.StringIO())
        demo.seed_saved_views(stdout=io.StringIO())
    assert SavedView.objects.count() == len(demo.DEMO_VIEWS)
    sales = get_user_model().objects.get(username="sales")
    assert [view.name for view in saved_views_for(sales)] == ["To verify"]
