"""The Synapse side of the seed, which the guide assumes exists: a SQL pool table dbo.CustomerData,
the SQL admin login with its password in Key Vault, and the data lake container ml-data@datalake.

In lakebox: the workspace warehouse gets a realistic synthetic dbo.CustomerData (churn included),
the SQL login sqladminuser gets a fresh random password that only the vault "keyvault" knows (as
"sql-password"), and the default datastore stands for abfss://ml-data@datalake.dfs.core.windows.net.
Safe to run again: the data is replaced and the password rotated.
"""

from __future__ import annotations

import secrets

import numpy as np
import pandas as pd

from lakebox import ConflictError, MLClient
from lakebox.entities import Datastore, Vault
from lakebox.identity import DefaultAzureCredential

CUSTOMERS = 5000


def customer_data(rows: int = CUSTOMERS, seed: int = 7) -> pd.DataFrame:
    """Customers with the columns the seed's prep uses, and its dirt: duplicates, ages out of range, missing incomes."""
    rng = np.random.default_rng(seed)
    age = rng.integers(16, 96, rows)
    age[rng.choice(rows, rows // 100, replace=False)] = rng.integers(101, 120, rows // 100)
    income = rng.lognormal(10.9, 0.5, rows).round(2)
    credit = rng.integers(300, 851, rows)
    balance = rng.gamma(2.0, 4000.0, rows).round(2)
    risk = 1.2 - 0.035 * (age - 45) - (income - 60000) / 30000 - (credit - 575) / 120 - balance / 20000
    churn = (rng.random(rows) < 1 / (1 + np.exp(-risk))).astype(np.int32)
    frame = pd.DataFrame(
        {
            "CustomerID": np.arange(1, rows + 1),
            "Age": age,
            "Income": income,
            "CreditScore": credit,
            "AccountBalance": balance,
            "Churn": churn,
        }
    )
    frame.loc[rng.choice(rows, rows // 30, replace=False), "Income"] = None
    duplicates = frame.sample(rows // 50, random_state=seed)
    return pd.concat([frame, duplicates], ignore_index=True)


def main() -> None:
    ml_client = MLClient(DefaultAzureCredential(), "your-subscription-id", "rg-ml-workspace", "ml-workspace-prod")
    ml_client.datastores.create_or_update(
        Datastore(name="workspaceblobstore", type="azure_blob", account_name="datalake", container_name="ml-data")
    )
    loaded = ml_client.warehouse.load("dbo.CustomerData", customer_data(), mode="overwrite")
    password = secrets.token_urlsafe(18)
    ml_client.vaults.create_or_update(Vault(name="keyvault", description="Secrets of the Synapse workspace"))
    ml_client.secrets.set("keyvault", "sql-password", password, content_type="password")
    try:
        ml_client.warehouse.create_login("sqladminuser", password)
    except ConflictError:
        ml_client.warehouse.change_password("sqladminuser", password)
    print(f"dbo.CustomerData: {loaded.rows} rows; SQL login sqladminuser; secret keyvault/sql-password")


if __name__ == "__main__":
    main()
