"""apache-airflow-providers-common-sql: DbApiHook, the SQL operators and SqlSensor."""
