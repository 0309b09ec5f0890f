"""Real Spark in local mode: Delta tables shared with delta-rs, synapsesql on the warehouse, and
lake URIs; failed writes add no version."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyspark.sql
import pytest
from pyspark.errors import PySparkException
from pyspark.sql.functions import col, udf

from lakebox import BadRequestError, MLClient, NotFoundError, ValidationError
from lakebox.lake import delta
from lakebox.spark import DeltaTable

LAKE = "abfss://ml-data@datalake.dfs.core.windows.net"


def test_delta_written_by_spark_is_read_by_delta_rs_and_spark(
    spark: pyspark.sql.SparkSession, lake_client: MLClient
) -> None:
    uri = f"{LAKE}/spark/customers"
    first = spark.createDataFrame(pd.DataFrame({"id": [1, 2, 3], "income": [10.5, 20.0, None]}))
    first.write.mode("overwrite").format("delta").save(uri)
    spark.createDataFrame([(4, 40.0)], "id long, income double").write.mode("append").format("delta").save(uri)

    folder = lake_client.datastores.resolve(uri)
    assert folder == lake_client.datastores.resolve("azureml://datastores/datalake/paths/spark/customers")
    assert sorted(delta.read_table(folder).column("id").to_pylist()) == [1, 2, 3, 4]
    assert [h["version"] for h in delta.history(folder)] == [1, 0]
    assert sorted(r.id for r in spark.read.format("delta").load(uri).collect()) == [1, 2, 3, 4]
    assert spark.read.format("delta").option("versionAsOf", 0).load(uri).count() == 3
    files = pa.table(delta.open_table(folder).get_add_actions(flatten=True))
    assert sum(files.column("num_records").to_pylist()) == 4  # the commit carries per-file statistics


def test_delta_written_by_delta_rs_is_read_by_spark(spark: pyspark.sql.SparkSession, lake_client: MLClient) -> None:
    folder = lake_client.datastores.resolve(f"{LAKE}/python/scores")
    delta.write_table(folder, pd.DataFrame({"k": ["a", "b"], "score": [0.5, 0.9]}), mode="overwrite")
    rows = spark.read.format("delta").load(f"{LAKE}/python/scores").filter(col("score") > 0.6).collect()
    assert [(r.k, r.score) for r in rows] == [("b", 0.9)]


def test_a_failed_spark_write_leaves_the_table_at_its_version(
    spark: pyspark.sql.SparkSession, lake_client: MLClient
) -> None:
    uri = f"{LAKE}/spark/fragile"
    spark.range(10).write.mode("overwrite").format("delta").save(uri)
    folder = lake_client.datastores.resolve(uri)

    def fail_on_seven(value):  # type: ignore[no-untyped-def]  # hints would make Spark guess a pandas UDF
        if value == 7:
            raise ValueError("bad row 7")
        return value

    explode_on_seven = udf(fail_on_seven, "long")

    with pytest.raises(PySparkException, match="bad row 7"):
        spark.range(20).repartition(4).select(explode_on_seven("id").alias("id")).write.mode("append").format(
            "delta"
        ).save(uri)
    assert delta.open_table(folder).version() == 0
    assert spark.read.format("delta").load(uri).count() == 10


def test_reading_a_folder_that_is_not_a_table_names_it(spark: pyspark.sql.SparkSession, lake_client: MLClient) -> None:
    lake_client.datastores.resolve(f"{LAKE}/plain").mkdir(parents=True, exist_ok=True)
    with pytest.raises(NotFoundError, match="plain is not a Delta table"):
        spark.read.format("delta").load(f"{LAKE}/plain")
    with pytest.raises(NotFoundError, match="no datastore is registered for container 'elsewhere'"):
        spark.read.format("delta").load("abfss://elsewhere@datalake.dfs.core.windows.net/x")
    with pytest.raises(BadRequestError, match="customers exists; write with mode"):
        spark.range(1).write.format("delta").save(f"{LAKE}/spark/customers")


def test_appending_another_schema_is_refused_and_changes_nothing(
    spark: pyspark.sql.SparkSession, lake_client: MLClient
) -> None:
    uri = f"{LAKE}/spark/typed"
    spark.createDataFrame([(1, "a")], "id long, name string").write.mode("overwrite").format("delta").save(uri)
    folder = lake_client.datastores.resolve(uri)
    with pytest.raises(ValidationError, match="it has id int64, label string, the table has id int64, name string"):
        spark.createDataFrame([(2, "b")], "id long, label string").write.mode("append").format("delta").save(uri)
    assert delta.open_table(folder).version() == 0
    assert len(delta.snapshot_files(folder)) == len(list(folder.glob("*.parquet")))


def test_synapsesql_reads_and_writes_with_a_sql_login(spark: pyspark.sql.SparkSession, lake_client: MLClient) -> None:
    lake_client.warehouse.load(
        "dbo.SparkCustomers", pd.DataFrame({"CustomerID": [1, 2], "Age": [30, 60]}), mode="overwrite"
    )
    lake_client.warehouse.create_login("sparkadmin", "spark-login-pw-1")

    def synapse(password: str) -> pyspark.sql.DataFrameReader:
        return (
            spark.read.format("synapsesql")
            .option("url", "jdbc:sqlserver://synapse-workspace.sql.azuresynapse.net:1433")
            .option("user", "sparkadmin")
            .option("password", password)
        )

    frame = synapse("spark-login-pw-1").option("dbtable", "dbo.SparkCustomers").load()
    assert sorted((r.CustomerID, r.Age) for r in frame.collect()) == [(1, 30), (2, 60)]
    older = synapse("spark-login-pw-1").option("query", "SELECT CustomerID FROM dbo.SparkCustomers WHERE Age > 40")
    assert [r.CustomerID for r in older.load().collect()] == [2]
    with pytest.raises(PySparkException, match="login failed for SQL login 'sparkadmin': wrong name or password"):
        synapse("wrong-password").option("dbtable", "dbo.SparkCustomers").load().count()

    frame.withColumn("Age", col("Age") + 1).write.format("synapsesql").mode("overwrite").option(
        "dbtable", "dbo.SparkCustomersNextYear"
    ).option("user", "sparkadmin").option("password", "spark-login-pw-1").save()
    assert sorted(lake_client.warehouse.read_table("dbo.SparkCustomersNextYear").column("Age").to_pylist()) == [31, 61]


def test_delta_spark_api_merge_history_and_delete(spark: pyspark.sql.SparkSession, lake_client: MLClient) -> None:
    uri = f"{LAKE}/spark/merged"
    spark.createDataFrame([(1, 10), (2, 20)], "id long, score long").write.mode("overwrite").format("delta").save(uri)
    table = DeltaTable.forPath(spark, uri)
    updates = spark.createDataFrame([(2, 25), (3, 30)], "id long, score long")
    metrics = (
        table.alias("t")
        .merge(updates.alias("s"), "t.id = s.id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )
    assert (metrics["num_target_rows_updated"], metrics["num_target_rows_inserted"]) == (1, 1)
    assert sorted((r.id, r.score) for r in table.toDF().collect()) == [(1, 10), (2, 25), (3, 30)]
    table.delete("score < 20")
    assert [r.operation for r in table.history().collect()][:2] == ["DELETE", "MERGE"]
    assert sorted(r.id for r in table.toDF().collect()) == [2, 3]
    assert DeltaTable.isDeltaTable(spark, uri) and not DeltaTable.isDeltaTable(spark, f"{LAKE}/plain")
    with pytest.raises(BadRequestError, match="must name the table as 't' and the source by one alias"):
        table.alias("t").merge(updates, "id = id")


def test_notebookutils_is_synapses_name_for_mssparkutils() -> None:
    from lakebox.spark import mssparkutils
    from notebookutils import mssparkutils as familiar

    assert familiar is mssparkutils
