"""The ETL: CRM tables into the DuckDB warehouse (extract, run, publish)."""
