-- PostgreSQL cannot run the dbt Python model int_customers_predicted (../).
-- `segmart pg-build` runs that model's own code between two dbt steps and writes
-- its result to int_customers_predicted__py, which this model republishes, so
-- the rest of the DAG is the same on every engine (README, "Target PostgreSQL").
{{ config(enabled=target.type == 'postgres') }}

select * from {{ python_model_output() }}
