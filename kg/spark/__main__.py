"""``python -m kg.spark PATH... -o OUTDIR [--master URL] [--partitions N]``, and the file to give
``spark-submit`` (``spark-submit --master spark://HOST:7077 $(python -c 'import kg.spark.__main__ as m;
print(m.__file__)') PATH... -o OUTDIR``): ``kg build --engine spark`` with the same options."""

import sys

from kg.cli.main import main

if __name__ == "__main__":
    sys.argv = ["kg", "build", "--engine", "spark", *sys.argv[1:]]
    main()
