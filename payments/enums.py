from django.db import models


class PaymentMethod(models.TextChoices):
    CARD = "card", "Credit card"
    DEBIT = "debit", "Debit card"
    ACH = "ach", "ACH transfer"
    PAYPAL = "paypal", "PayPal"
    WIRE = "wire", "Wire transfer"
    COD = "cod", "Cash on delivery"
    TERMS = "terms", "Account terms (net 30)"
