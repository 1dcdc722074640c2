import pytest
from django.core.management import CommandError, call_command

from inventory.models import StockLevel


def test_the_ledger_check_passes_when_every_level_matches_its_movements(product_with_stock, verified_order,
                                                                         capsys):
    product = product_with_stock(east=5)
    verified_order([product], [2])

    call_command("check_stock_ledger")

    assert "Stock ledger OK" in capsys.readouterr().out


def test_the_ledger_check_fails_on_a_level_changed_behind_the_ledgers_back(product_with_stock, capsys):
    product = product_with_stock(east=5)
    StockLevel.objects.filter(product=product).update(on_hand=7)  # what no service would do

    with pytest.raises(CommandError, match="1 stock level"):
        call_command("check_stock_ledger")
    assert "on hand 7 vs ledger 5" in capsys.readouterr().err
