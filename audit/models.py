"""The audit trail of staff changes (django-simple-history): one historical row per change of a
product (its prices), a customer (its credit limit and hold), a user and a group (their
permissions and memberships), with who made it and when.

The historical tables live in this app, so the apps that own the models stay as they are.
"""

import simple_history
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from inventory.models import Product
from orders.models import Customer

simple_history.register(Product, app="audit")
simple_history.register(Customer, app="audit")
# Password hashes stay out of the trail: a change of password shows, the hashes are not kept.
simple_history.register(get_user_model(), app="audit", excluded_fields=["password", "last_login"],
                        m2m_fields=["groups", "user_permissions"])
simple_history.register(Group, app="audit", m2m_fields=["permissions"])
