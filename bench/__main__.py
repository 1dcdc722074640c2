from bench.allocation import main

import sys

sys.exit(main())
