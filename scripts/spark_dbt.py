"""dbt with segmart's additions for dbt-spark's `method: session`, as a script.

For a Spark application on a cluster, where dbt runs in the driver:

    spark-submit --master yarn --deploy-mode client \
        scripts/spark_dbt.py build --target spark --project-dir . --profiles-dir .

Locally, `segmart dbt ...` does the same (README, "Target Spark").
"""

import sys

from segmart.spark import run_dbt_cli

if __name__ == "__main__":
    sys.exit(run_dbt_cli(sys.argv[1:]))
