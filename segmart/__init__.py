"""segmart: a governed customer segment library built with dbt and DuckDB."""

__version__ = "0.1.0"
