"""customers -> accounts, between revisions 7c4f (expand) and 9d6a (contract).

`pytest --dualwrite` turns the spec into checks: the backfill keeps every customer and
can be re-run and resumed, any interleaving of writes, updates, deletes and backfill
batches leaves both tables equal, the read path agrees with `customers`, and after 9d6a
drops `customers` every customer is still in `accounts`. Revisions are named by a unique
prefix of their id, as with `alembic upgrade 7c4f`.
"""

from pytest_dualwrite import DualWrite

from app import accounts

customers_to_accounts = DualWrite(
    old="customers",
    new="accounts",
    key="id",
    columns={"name": "full_name", "email": "email", "created_at": "created_at"},
    expand="7c4f",  # 7c4f0a6e3b03_create_accounts.py
    contract="9d6a",  # 9d6a2f1c8e04_drop_customers.py
    write=accounts.create_customer,
    update=accounts.update_customer,
    delete=accounts.delete_customer,
    backfill=accounts.backfill_accounts,
    read=accounts.get_customer,
)
