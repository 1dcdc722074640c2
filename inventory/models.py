from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from inventory.enums import TaxClass


class ProductQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def by_code(self, code: str):
        """Products whose SKU (case-insensitive) or barcode equals the scanned or typed code."""
        code = code.strip()
        return self.filter(models.Q(sku__iexact=code) | models.Q(barcode=code))


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    barcode = models.CharField(max_length=64, unique=True, null=True, blank=True, help_text="EAN/UPC/GTIN")
    unit_price = models.DecimalField(max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    weight_kg = models.DecimalField("weight (kg)", max_digits=8, decimal_places=3, default=Decimal("0"))
    tax_class = models.CharField(max_length=20, choices=TaxClass.choices, default=TaxClass.STANDARD)
    is_active = models.BooleanField(default=True)
    allow_backorder = models.BooleanField(
        default=True, help_text="Short stock backorders the order; otherwise it is held as out of stock."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} · {self.name}"
