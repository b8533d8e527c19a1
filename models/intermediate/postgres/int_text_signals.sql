-- PostgreSQL cannot run the dbt Python model int_text_signals (../).
-- `segmart pg-build` runs that model's own code between two dbt steps and writes
-- its result to int_text_signals__py, which this model republishes, so the rest
-- of the DAG is the same on every engine (README, "Target PostgreSQL").
{{ config(enabled=target.type == 'postgres') }}

select * from {{ python_model_output() }}
